//! A byte budget on one token of a stream. A streaming parser holds one token at a time — an
//! XML tag or text node, a JSON value, a CSV record — but holds it whole: a 100 MB attribute is
//! 100 MB in memory before the parser can say anything about it. [`Budget::reader`] wraps the
//! stream and counts the bytes the parser takes; the parser calls [`Budget::reset`] after each
//! token, and a token that takes more than the budget fails the read (an I/O error) as soon as
//! it crosses it. [`Budget::exceeded`] then says why, so the caller answers with the limit's
//! name rather than a parser's message.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use crate::LimitExceeded;

/// The budget of one token, shared between the wrapped reader and the parser that resets it
/// (on one thread: serde_json reads a byte at a time, and a shared counter there would cost
/// an atomic operation a byte).
#[derive(Debug, Clone)]
pub struct Budget {
    used: Rc<Cell<usize>>,
    exceeded: Rc<Cell<bool>>,
    limit: usize,
    setting: &'static str,
}

impl Budget {
    /// A budget of `limit` bytes a token, named after the setting that gives it.
    pub fn new(setting: &'static str, limit: usize) -> Self {
        Self {
            used: Rc::default(),
            exceeded: Rc::default(),
            limit,
            setting,
        }
    }

    /// `inner`, counted against this budget.
    pub fn reader<R>(&self, inner: R) -> Budgeted<R> {
        Budgeted {
            inner,
            budget: self.clone(),
        }
    }

    /// A token ended: the next one starts with the whole budget.
    pub fn reset(&self) {
        self.used.set(0);
    }

    /// Why a read failed, if it failed because a token went past the budget.
    pub fn exceeded(&self) -> Option<LimitExceeded> {
        self.exceeded.get().then(|| self.error())
    }

    fn error(&self) -> LimitExceeded {
        LimitExceeded::new(
            self.setting,
            self.limit,
            format!(
                "one token (a tag, a text, a value or a record) is longer than {} bytes",
                self.limit
            ),
        )
    }

    /// Counts `bytes` taken; an error once the token is over the budget.
    fn take(&self, bytes: usize) -> io::Result<()> {
        let used = self.used.get().saturating_add(bytes);
        self.used.set(used);
        self.check(used)
    }

    fn check(&self, used: usize) -> io::Result<()> {
        if used > self.limit {
            self.exceeded.set(true);
            Err(io::Error::other(self.error()))
        } else {
            Ok(())
        }
    }
}

/// A reader whose bytes are counted against a [`Budget`].
#[derive(Debug)]
pub struct Budgeted<R> {
    inner: R,
    budget: Budget,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.budget.check(self.budget.used.get())?;
        let read = self.inner.read(buf)?;
        self.budget.take(read)?;
        Ok(read)
    }
}

impl<R: BufRead> BufRead for Budgeted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // `consume` cannot fail: the token's overrun is reported at the next fill.
        self.budget.check(self.budget.used.get())?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.budget
            .used
            .set(self.budget.used.get().saturating_add(amount));
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_longer_than_the_budget_fails_the_read_and_says_which_limit() {
        let budget = Budget::new("max_token_bytes", 10);
        let mut reader = budget.reader(io::BufReader::with_capacity(4, &b"0123456789ABCDEF"[..]));
        let mut taken = Vec::new();
        let error = reader.read_to_end(&mut taken).unwrap_err();
        assert!(error.to_string().contains("max_token_bytes"));
        assert!(taken.len() <= 14, "stops within a buffer of the limit");
        assert_eq!(budget.exceeded().unwrap().limit, 10);
    }

    #[test]
    fn resetting_after_each_token_lets_a_long_stream_of_short_tokens_through() {
        let budget = Budget::new("max_token_bytes", 8);
        let text = "abc\n".repeat(1000);
        let mut reader = budget.reader(io::BufReader::new(text.as_bytes()));
        let mut lines = 0;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 {
            budget.reset();
            line.clear();
            lines += 1;
        }
        assert_eq!(lines, 1000);
        assert!(budget.exceeded().is_none());
    }
}
