//! The edge of a push's body: its format by content type, and its chunks as a blocking
//! reader for the codec ([`baocao_formats::datavalues::read`]) on its own thread.

use std::io::Read;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use baocao_formats::datavalues::Format;

use crate::error::ApiError;

/// The payload's format by its content type.
pub fn format_of(headers: &HeaderMap) -> Result<Format, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Format::of_media_type(content_type).ok_or_else(|| {
        let other = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Không nhận kiểu dữ liệu {other:?}: dùng application/json, text/csv hoặc application/adx+xml."
            ),
            format!(
                "Content type {other:?} is not accepted: use application/json, text/csv or application/adx+xml."
            ),
        )
    })
}

/// A blocking reader over a body's chunks, as an async task receives them; an error sent
/// down the channel (a body over the limit, a broken connection) ends the read.
pub struct ChunkReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl ChunkReader {
    pub fn new(chunks: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> Self {
        Self {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let n = buffer.len().min(self.current.len());
        buffer[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}
