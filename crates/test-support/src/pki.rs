//! A certification authority of the test's own, made by `openssl` (Debian's package): it
//! issues signers' certificates (valid, expired, not for signing), revokes them and publishes
//! its revocation list; a signer's key signs as a USB token would (`openssl pkeyutl` over a
//! digest). `pdfsig` (poppler) checks signed PDFs against the CA through an NSS database made
//! by `certutil` (Debian's `libnss3-tools`).
//!
//! Without openssl a test says so and skips, unless BAOCAO_REQUIRE_PEERS=1 (CI installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A CA in a directory of its own, removed when dropped.
pub struct TestCa {
    dir: PathBuf,
    issued: std::sync::atomic::AtomicU32,
}

/// A certificate the CA issued and the key that signs with it.
pub struct Signer {
    pub key: PathBuf,
    pub certificate: PathBuf,
}

impl Signer {
    /// The certificate as PEM text.
    pub fn certificate_pem(&self) -> String {
        std::fs::read_to_string(&self.certificate).expect("read the certificate")
    }

    /// The key and certificate (with the CA's) as a PKCS #12 file under `password`, as
    /// `openssl pkcs12 -export` writes it (PBES2, AES-256, HMAC-SHA-256).
    pub fn pkcs12(&self, ca: &TestCa, password: &str) -> Vec<u8> {
        let output = self.key.with_extension("p12");
        run(Command::new("openssl").args([
            "pkcs12",
            "-export",
            "-inkey",
            path(&self.key),
            "-in",
            path(&self.certificate),
            "-certfile",
            path(&ca.certificate()),
            "-passout",
            &format!("pass:{password}"),
            "-out",
            path(&output),
        ]));
        std::fs::read(output).expect("read the PKCS #12 file")
    }

    /// The key's RSA PKCS #1 v1.5 signature of a SHA-256 `digest`, as a token makes it.
    pub fn sign_digest(&self, digest: &[u8]) -> Vec<u8> {
        let input = self.key.with_extension("digest");
        let output = self.key.with_extension("signature");
        std::fs::write(&input, digest).expect("write the digest");
        run(Command::new("openssl").args([
            "pkeyutl",
            "-sign",
            "-inkey",
            path(&self.key),
            "-pkeyopt",
            "digest:sha256",
            "-in",
            path(&input),
            "-out",
            path(&output),
        ]));
        std::fs::read(output).expect("read the signature")
    }
}

/// What a certificate is issued for and when it is valid.
pub struct Issue<'a> {
    pub common_name: &'a str,
    /// `YYYYMMDDHHMMSSZ`.
    pub not_before: &'a str,
    /// `YYYYMMDDHHMMSSZ`.
    pub not_after: &'a str,
    /// `keyUsage` as openssl writes it.
    pub key_usage: &'a str,
}

impl<'a> Issue<'a> {
    /// A signer's certificate for digital signatures, valid through 2026 and 2027 (the test
    /// apps' day and any day the tests run).
    pub fn signer(common_name: &'a str) -> Self {
        Self {
            common_name,
            not_before: "20260101000000Z",
            not_after: "20280101000000Z",
            key_usage: "critical, digitalSignature, nonRepudiation",
        }
    }
}

impl TestCa {
    /// A new CA named `name`, or `None` when openssl is missing and not required.
    pub fn new(name: &str) -> Option<Self> {
        if Command::new("openssl").arg("version").output().is_err() {
            let required = std::env::var("BAOCAO_REQUIRE_PEERS").is_ok_and(|v| v == "1");
            assert!(!required, "openssl is required");
            eprintln!("openssl is not installed; skipping the certificate checks");
            return None;
        }
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "baocao-ca-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("issued")).expect("make the CA's directory");
        std::fs::write(dir.join("index.txt"), "").expect("write the CA's index");
        std::fs::write(dir.join("crlnumber"), "01\n").expect("write the CRL number");
        std::fs::write(dir.join("serial"), "1000\n").expect("write the serial");
        std::fs::write(
            dir.join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca = test\n[test]\ndir = {dir}\ndatabase = $dir/index.txt\n\
                 new_certs_dir = $dir/issued\nserial = $dir/serial\ncrlnumber = $dir/crlnumber\n\
                 certificate = $dir/ca.pem\nprivate_key = $dir/ca.key\ndefault_md = sha256\n\
                 default_crl_days = 30\npolicy = any\nunique_subject = no\ncopy_extensions = none\n\
                 [any]\ncommonName = supplied\n[req]\ndistinguished_name = name\n[name]\n\
                 [authority]\nbasicConstraints = critical, CA:true\n\
                 keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n",
                dir = dir.display()
            ),
        )
        .expect("write the CA's configuration");
        // Self-signed through `openssl ca` (not `req -x509`), which takes explicit dates: the
        // test apps live on 26 November 2026, whatever day the test runs.
        run(Command::new("openssl").current_dir(&dir).args([
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.csr",
            "-subj",
            &format!("/C=VN/O=Test CA/CN={name}"),
            "-config",
            "ca.cnf",
        ]));
        run(Command::new("openssl").current_dir(&dir).args([
            "ca",
            "-batch",
            "-notext",
            "-selfsign",
            "-config",
            "ca.cnf",
            "-keyfile",
            "ca.key",
            "-in",
            "ca.csr",
            "-out",
            "ca.pem",
            "-startdate",
            "20250101000000Z",
            "-enddate",
            "20360101000000Z",
            "-extensions",
            "authority",
        ]));
        Some(Self {
            dir,
            issued: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// The CA's certificate (PEM), the trust anchor.
    pub fn certificate(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A new key and a certificate for it.
    pub fn issue(&self, issue: &Issue) -> Signer {
        let n = 1 + self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = self.dir.join(format!("signer{n}.key"));
        let request = self.dir.join(format!("signer{n}.csr"));
        let certificate = self.dir.join(format!("signer{n}.pem"));
        let extensions = self.dir.join(format!("signer{n}.ext"));
        std::fs::write(
            &extensions,
            format!(
                "[signer]\nbasicConstraints = CA:false\nkeyUsage = {}\n",
                issue.key_usage
            ),
        )
        .expect("write the extensions");
        run(Command::new("openssl").args([
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            path(&key),
            "-out",
            path(&request),
            "-subj",
            &format!("/C=VN/CN={}", issue.common_name),
        ]));
        run(Command::new("openssl").args([
            "ca",
            "-batch",
            "-notext",
            "-config",
            path(&self.dir.join("ca.cnf")),
            "-in",
            path(&request),
            "-out",
            path(&certificate),
            "-startdate",
            issue.not_before,
            "-enddate",
            issue.not_after,
            "-extfile",
            path(&extensions),
            "-extensions",
            "signer",
        ]));
        Signer { key, certificate }
    }

    /// Revokes `signer`'s certificate (it shows on the next revocation list).
    pub fn revoke(&self, signer: &Signer) {
        run(Command::new("openssl").args([
            "ca",
            "-config",
            path(&self.dir.join("ca.cnf")),
            "-revoke",
            path(&signer.certificate),
        ]));
    }

    /// The CA's revocation list now (PEM), in a file.
    pub fn revocation_list(&self) -> PathBuf {
        let out = self.dir.join("crl.pem");
        run(Command::new("openssl").args([
            "ca",
            "-gencrl",
            "-config",
            path(&self.dir.join("ca.cnf")),
            "-out",
            path(&out),
        ]));
        out
    }

    /// What `pdfsig` says of `pdf`'s signatures with this CA trusted (`None`: no pdfsig or
    /// certutil, and not required).
    pub fn pdfsig(&self, pdf: &[u8]) -> Option<String> {
        let nss = self.dir.join("nss");
        if !nss.exists() {
            std::fs::create_dir_all(&nss).expect("make the NSS database's directory");
            let database = format!("sql:{}", nss.display());
            let made = Command::new("certutil")
                .args(["-N", "-d", &database, "--empty-password"])
                .output();
            let Ok(made) = made else {
                let required = std::env::var("BAOCAO_REQUIRE_PEERS").is_ok_and(|v| v == "1");
                assert!(!required, "certutil (libnss3-tools) is required");
                eprintln!("certutil (libnss3-tools) is not installed; skipping pdfsig");
                return None;
            };
            assert!(made.status.success(), "certutil -N: {made:?}");
            run(Command::new("certutil").args([
                "-A",
                "-d",
                &database,
                "-n",
                "test-ca",
                "-t",
                "CT,C,C",
                "-i",
                path(&self.certificate()),
            ]));
        }
        let file = self.dir.join("signed.pdf");
        std::fs::write(&file, pdf).expect("write the PDF");
        let output = Command::new("pdfsig")
            // Not `-no-ocsp`: poppler 22.12 then reports a trusted chain as "Unknown issue"
            // (the test's certificates name no OCSP responder, so nothing is fetched).
            .args(["-nssdir", &format!("sql:{}", nss.display())])
            .arg(&file)
            .output();
        match output {
            Ok(output) => Some(format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )),
            Err(_) => {
                let required = std::env::var("BAOCAO_REQUIRE_PEERS").is_ok_and(|v| v == "1");
                assert!(!required, "pdfsig (poppler-utils) is required");
                None
            }
        }
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn run(command: &mut Command) {
    let output = command.output().expect("openssl or certutil runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
