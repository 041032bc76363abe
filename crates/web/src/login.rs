//! Password checks that cannot be turned against the server or against a user.
//!
//! - **A bounded pool for argon2.** A check costs ~19 MiB and tens of milliseconds by design;
//!   unbounded, 300 parallel logins took 4.8 GB. Checks run on [`LoginGuard::new`]'s `workers`
//!   threads of their own, each reusing one block of hashing memory, so the memory of every
//!   check ever made is that many blocks; a login that cannot start one within [`QUEUE_WAIT`]
//!   is answered 503.
//! - **Throttling with back-off.** Failures are counted per account *and address* and per
//!   address: after [`FREE_FAILURES`] (per account and address) or [`FREE_FAILURES_PER_ADDRESS`]
//!   (per address) each further failure doubles a wait (1 s, 2 s, 4 s … up to
//!   [`LONGEST_WAIT`]) during which that key's attempts are answered 429 without hashing. Keying
//!   by account and address means an attacker elsewhere cannot lock a real user out; a success
//!   clears the account's count at that address, and an account that has logged in from an
//!   address before is not held up by other accounts' failures there (an office behind one
//!   NAT address keeps working while someone there sprays passwords). Counts are forgotten after [`FORGET_AFTER`]
//!   without failures, and the table is bounded ([`MAX_TRACKED`] keys).
//! - **HTTP Basic verified once.** DHIS2 tools send the password on every request; a verified
//!   pair is remembered for [`BASIC_TTL`] under a keyed hash (never the password), so argon2
//!   runs once a minute per client, not once a request.
//!
//! Each server counts its own attempts (behind several servers, the limits are per server).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use baocao_store::credentials::HashMemory;
use sha2::{Digest, Sha256};

/// How long a login waits for a free hashing worker before it is refused with 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);
/// Failures of one account from one address before waits begin.
pub const FREE_FAILURES: u32 = 5;
/// Failures from one address, any accounts, before waits begin.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 30;
/// The longest wait a run of failures earns.
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// A key with no failure for this long starts afresh.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// The most keys tracked; past it the oldest are dropped.
pub const MAX_TRACKED: usize = 100_000;
/// How long an account that logged in from an address stays exempt from that address's waits.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// How long a verified HTTP Basic pair is remembered.
pub const BASIC_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    AccountAtAddress(String, Option<IpAddr>),
    Address(Option<IpAddr>),
}

/// Why a login was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: try again after this long.
    Throttled(Duration),
    /// Every hashing worker is busy.
    Busy,
}

/// A password check for a hashing thread, given that thread's memory.
type Job = Box<dyn FnOnce(&mut HashMemory) + Send>;

/// The hashing threads, started at the first check; they end when the guard is dropped.
struct Hashers {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Hashers {
    fn start(workers: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for n in 0..workers {
            let queue = queue.clone();
            let _ = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || {
                    let mut memory = HashMemory::default();
                    loop {
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => break,
                        }
                    }
                });
        }
        Self { jobs }
    }
}

/// The state behind every password check of one server.
pub struct LoginGuard {
    workers: usize,
    hashers: std::sync::OnceLock<Mutex<Hashers>>,
    hashing: tokio::sync::Semaphore,
    failures: Mutex<HashMap<Key, Failures>>,
    /// Accounts that logged in from an address, with when they last did.
    known: Mutex<HashMap<(String, Option<IpAddr>), Instant>>,
    basic: Mutex<HashMap<[u8; 32], (i32, Instant)>>,
    salt: [u8; 32],
}

impl Default for LoginGuard {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(workers)
    }
}

impl LoginGuard {
    /// A guard running at most `workers` password checks at once.
    pub fn new(workers: usize) -> Self {
        let mut salt = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
        Self {
            workers: workers.max(1),
            hashers: std::sync::OnceLock::new(),
            hashing: tokio::sync::Semaphore::new(workers.max(1)),
            failures: Mutex::default(),
            known: Mutex::default(),
            basic: Mutex::default(),
            salt,
        }
    }

    fn keys(username: &str, address: Option<IpAddr>) -> [Key; 2] {
        [
            Key::AccountAtAddress(username.to_lowercase(), address),
            Key::Address(address),
        ]
    }

    /// Whether `username` may try a password from `address` now.
    pub fn admit(&self, username: &str, address: Option<IpAddr>) -> Result<(), Refusal> {
        let now = Instant::now();
        let known = self
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(username.to_lowercase(), address))
            .is_some_and(|at| now.duration_since(*at) < KNOWN_FOR);
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let wait = Self::keys(username, address)
            .iter()
            .filter(|key| !(known && matches!(key, Key::Address(_))))
            .filter_map(|key| failures.get(key)?.blocked_until)
            .filter(|until| *until > now)
            .max();
        match wait {
            Some(until) => Err(Refusal::Throttled(until - now)),
            None => Ok(()),
        }
    }

    /// Runs `check` (a password verification, given a worker's hashing memory) on a hashing
    /// thread once one is free.
    pub async fn hash<T: Send + 'static>(
        &self,
        check: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, Refusal> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.hashing.acquire())
            .await
            .map_err(|_| Refusal::Busy)?
            .map_err(|_| Refusal::Busy)?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = answer.send(check(memory));
        });
        self.hashers
            .get_or_init(|| Mutex::new(Hashers::start(self.workers)))
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .jobs
            .send(job)
            .map_err(|_| Refusal::Busy)?;
        let outcome = answered.await.map_err(|_| Refusal::Busy);
        drop(permit);
        outcome
    }

    /// Counts a failed attempt; answers the wait it earned, if any.
    pub fn failed(&self, username: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if failures.len() >= MAX_TRACKED {
                failures.clear();
            }
        }
        let mut longest = None;
        for key in Self::keys(username, address) {
            let free = match key {
                Key::AccountAtAddress(..) => FREE_FAILURES,
                Key::Address(_) => FREE_FAILURES_PER_ADDRESS,
            };
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                last: now,
                blocked_until: None,
            });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
            if entry.count >= free {
                let doublings = (entry.count - free).min(20);
                let wait = Duration::from_secs(1u64 << doublings).min(LONGEST_WAIT);
                entry.blocked_until = Some(now + wait);
                longest = longest.max(Some(wait));
            }
        }
        longest
    }

    /// A success: the account's failures at this address are forgotten.
    pub fn succeeded(&self, username: &str, address: Option<IpAddr>) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&Key::AccountAtAddress(username.to_lowercase(), address));
        drop(failures);
        let now = Instant::now();
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_TRACKED {
            known.retain(|_, at| now.duration_since(*at) < KNOWN_FOR);
            if known.len() >= MAX_TRACKED {
                known.clear();
            }
        }
        known.insert((username.to_lowercase(), address), now);
    }

    fn basic_key(&self, username: &str, password: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(username.as_bytes());
        hasher.update([0]);
        hasher.update(password.as_bytes());
        hasher.finalize().into()
    }

    /// The user an HTTP Basic pair was verified as within [`BASIC_TTL`], if any.
    pub fn remembered(&self, username: &str, password: &str) -> Option<i32> {
        let key = self.basic_key(username, password);
        let basic = self.basic.lock().unwrap_or_else(|p| p.into_inner());
        basic
            .get(&key)
            .filter(|(_, at)| at.elapsed() < BASIC_TTL)
            .map(|(user, _)| *user)
    }

    /// Remembers a verified HTTP Basic pair.
    pub fn remember(&self, username: &str, password: &str, user_id: i32) {
        let key = self.basic_key(username, password);
        let mut basic = self.basic.lock().unwrap_or_else(|p| p.into_inner());
        if basic.len() >= 10_000 {
            basic.retain(|_, (_, at)| at.elapsed() < BASIC_TTL);
            if basic.len() >= 10_000 {
                basic.clear();
            }
        }
        basic.insert(key, (user_id, Instant::now()));
    }

    /// Forgets every remembered HTTP Basic pair (a password or a client changed).
    pub fn forget_basic(&self) {
        self.basic.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const THERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn failures_past_the_free_ones_earn_doubling_waits_for_that_account_and_address_only() {
        let guard = LoginGuard::new(1);
        for _ in 1..FREE_FAILURES {
            assert_eq!(guard.failed("hanoi", HERE), None);
            assert!(guard.admit("hanoi", HERE).is_ok());
        }
        assert_eq!(guard.failed("hanoi", HERE), Some(Duration::from_secs(1)));
        assert_eq!(guard.failed("hanoi", HERE), Some(Duration::from_secs(2)));
        assert_eq!(guard.failed("hanoi", HERE), Some(Duration::from_secs(4)));
        assert!(matches!(
            guard.admit("hanoi", HERE),
            Err(Refusal::Throttled(_))
        ));
        assert!(
            guard.admit("hanoi", THERE).is_ok(),
            "the real user elsewhere"
        );
        assert!(guard.admit("hcm", HERE).is_ok(), "another account here");
    }

    #[test]
    fn waits_stop_at_the_longest_and_a_success_clears_the_account() {
        let guard = LoginGuard::new(1);
        let mut last = None;
        for _ in 0..40 {
            last = guard.failed("hanoi", HERE);
        }
        assert_eq!(last, Some(LONGEST_WAIT));
        guard.succeeded("hanoi", HERE);
        assert!(guard.admit("hanoi", THERE).is_ok());
    }

    #[test]
    fn one_address_trying_many_accounts_is_slowed_too() {
        let guard = LoginGuard::new(1);
        for n in 0..FREE_FAILURES_PER_ADDRESS {
            guard.failed(&format!("user{n}"), HERE);
        }
        assert!(matches!(
            guard.admit("somebody", HERE),
            Err(Refusal::Throttled(_))
        ));
        assert!(guard.admit("somebody", THERE).is_ok());
    }

    #[test]
    fn a_basic_pair_is_remembered_under_its_exact_password_for_a_while() {
        let guard = LoginGuard::new(1);
        guard.remember("his", "secret", 7);
        assert_eq!(guard.remembered("his", "secret"), Some(7));
        assert_eq!(guard.remembered("his", "Secret"), None);
        guard.forget_basic();
        assert_eq!(guard.remembered("his", "secret"), None);
    }

    #[tokio::test]
    async fn no_more_checks_run_at_once_than_the_workers() {
        let guard = std::sync::Arc::new(LoginGuard::new(2));
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut checks = Vec::new();
        for _ in 0..16 {
            let (guard, running, most) = (guard.clone(), running.clone(), most.clone());
            checks.push(tokio::spawn(async move {
                guard
                    .hash(move |_| {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, SeqCst);
                    })
                    .await
            }));
        }
        for check in checks {
            assert!(check.await.unwrap().is_ok());
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
