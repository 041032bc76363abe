//! A real browser for UI tests: Debian's headless Chromium driven through chromedriver's
//! W3C WebDriver HTTP API. The client is a few requests over a loopback socket, so the
//! tests need no WebDriver crate.
//!
//! [`Browser::start`] answers `None` when Chromium or chromedriver is not installed (the
//! test then says so and passes), unless `BAOCAO_REQUIRE_BROWSER=1` (set by CI) makes that
//! a failure.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C identifier of a WebDriver element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    profile: std::path::PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    // chromedriver may keep the connection open: read the head, then exactly the body.
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            break raw.len();
        }
        raw.extend_from_slice(&buffer[..n]);
        if let Some(position) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break position + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end.min(raw.len())]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok());
    match length {
        Some(length) => {
            while raw.len() < head_end + length {
                let n = stream.read(&mut buffer).await?;
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buffer[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut raw).await?;
        }
    }
    let body = String::from_utf8_lossy(&raw[head_end.min(raw.len())..]).into_owned();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    };
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

impl Browser {
    pub async fn start() -> Option<Browser> {
        let required = std::env::var("BAOCAO_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists()
        {
            assert!(
                !required,
                "a browser is required but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
            );
            eprintln!("Chromium or chromedriver is not installed; skipping the browser test");
            return None;
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        for _ in 0..100 {
            if http(port, "GET", "/status", None)
                .await
                .is_ok_and(|s| s["value"]["ready"] == true)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("baocao-chromium-{port}"));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let answer = http(port, "POST", "/session", Some(&capabilities))
            .await
            .expect("create a WebDriver session");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        Some(Browser {
            driver,
            port,
            session,
            profile,
        })
    }

    async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let answer = http(self.port, method, &path, body.as_ref())
            .await
            .expect("chromedriver answers");
        if answer["value"].get("error").is_some() {
            panic!("WebDriver {method} {path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.command("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    /// Types into the element matched by `css` (keys as WebDriver sends them: `\u{E007}` is Enter).
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.command(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.command("POST", &format!("/element/{id}/click"), Some(json!({})))
            .await;
    }

    /// What `script` (a function body that returns something) answers, as text.
    pub async fn script(&self, script: &str) -> String {
        let body = json!({"script": script, "args": []});
        let answer = self.command("POST", "/execute/sync", Some(body)).await;
        match answer {
            Value::String(text) => text,
            other => other.to_string(),
        }
    }

    /// What an asynchronous `script` (a function body whose last argument is the callback it
    /// calls with its answer) answers.
    pub async fn script_async(&self, script: &str) -> Value {
        let body = json!({"script": script, "args": []});
        self.command("POST", "/execute/async", Some(body)).await
    }

    /// Chromium's own network emulation: `true` takes the page offline (`navigator.onLine`
    /// turns false and the page hears `offline`), `false` brings it back.
    pub async fn set_offline(&self, offline: bool) {
        self.command(
            "POST",
            "/chromium/network_conditions",
            Some(json!({"network_conditions": {
                "offline": offline, "latency": 0,
                "download_throughput": 1_000_000_000, "upload_throughput": 1_000_000_000
            }})),
        )
        .await;
    }

    /// Resizes the window (the viewport follows), e.g. to a phone's 390 × 844.
    pub async fn resize(&self, width: u32, height: u32) {
        self.command(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// How far the page reaches past the viewport's right edge, in CSS pixels (0: nothing
    /// scrolls sideways).
    pub async fn sideways_overflow(&self) -> i64 {
        self.script(
            "return String(document.documentElement.scrollWidth - document.documentElement.clientWidth);",
        )
        .await
        .parse()
        .unwrap_or(i64::MAX)
    }

    /// The serious and critical accessibility violations axe-core finds on the page, each as
    /// `rule: where, …`; `axe_source` is axe-core's `axe.min.js` (npm), injected into the page.
    pub async fn accessibility_violations(&self, axe_source: &str) -> Vec<String> {
        let inject = format!("{axe_source}\nreturn 'ok';");
        self.script(&inject).await;
        let run = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']})
              .then(r => done(JSON.stringify(r.violations
                  .filter(v => v.impact === 'serious' || v.impact === 'critical')
                  .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
                       v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', ')))))
              .catch(e => done(JSON.stringify(['axe failed: ' + e])));
        "#;
        let answer = self.script_async(run).await;
        serde_json::from_str(answer.as_str().unwrap_or("[]")).unwrap_or_default()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        let script = json!({"script": "return document.body.innerText;", "args": []});
        self.command("POST", "/execute/sync", Some(script))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The element that has the keyboard focus, described as `tag#id`.
    pub async fn focused(&self) -> String {
        let script = json!({"script": "const e = document.activeElement; return e.tagName.toLowerCase() + '#' + (e.id || e.getAttribute('href') || e.textContent.trim());", "args": []});
        self.command("POST", "/execute/sync", Some(script))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits up to five seconds for the element described as `tag#id` (as [`Browser::focused`]
    /// says) to take the focus; answers what has it then. Chromium applies `autofocus` in a
    /// rendering step after the page loads, so keys sent at once may land nowhere.
    pub async fn wait_for_focus(&self, described: &str) -> String {
        for _ in 0..50 {
            let focused = self.focused().await;
            if focused == described {
                return focused;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.focused().await
    }

    /// Sends keys to whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.command(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
    }

    /// Saves a PNG of the viewport to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let data = self.command("GET", "/screenshot", None).await;
        if let Some(bytes) = data
            .as_str()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        {
            let _ = std::fs::write(path, bytes);
        }
    }
}

impl Browser {
    /// Waits up to five seconds for the URL to end with `suffix`; answers the URL.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        for _ in 0..50 {
            let url = self.url().await;
            if url.ends_with(suffix) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.url().await
    }

    /// Ends the browser session (Chromium exits) and the driver.
    pub async fn quit(self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        )
        .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
