//! What a stored file really is: the type proven by its bytes, image dimensions, video
//! duration. Reads only what it needs (a head, and for MP4/MOV the box headers and `moov`).

use domain::media::{MediaKind, box_header, moov_duration_ms, sniff};
use object_store::path::Path;

use crate::{Storage, StorageError};

const HEAD: u64 = 64 * 1024;
const MAX_MOOV: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub content_type: &'static str,
    pub kind: MediaKind,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
}

/// `None`: not a supported image or video.
pub(crate) async fn inspect(s: &Storage, key: &Path, size: u64) -> Result<Option<Inspection>, StorageError> {
    if size == 0 {
        return Ok(None);
    }
    let head = s.read_range(key, 0..size.min(HEAD)).await?;
    let Some(content_type) = sniff(&head) else { return Ok(None) };
    let Some(kind) = MediaKind::of(content_type) else { return Ok(None) };
    let mut out = Inspection { content_type, kind, width: None, height: None, duration_ms: None };
    match kind {
        MediaKind::Image | MediaKind::Gif => {
            if let Ok(dim) = imagesize::blob_size(&head) {
                out.width = u32::try_from(dim.width).ok();
                out.height = u32::try_from(dim.height).ok();
            }
        }
        MediaKind::Video => out.duration_ms = video_duration(s, key, size).await?,
    }
    Ok(Some(out))
}

async fn video_duration(s: &Storage, key: &Path, size: u64) -> Result<Option<u64>, StorageError> {
    let mut at = 0u64;
    // Top-level boxes are few (ftyp, moov, mdat, free…); walk their headers only.
    for _ in 0..64 {
        // Box sizes are the file's word (up to u64::MAX): every sum is checked.
        if at.checked_add(8).is_none_or(|end| end > size) {
            return Ok(None);
        }
        let header = s.read_range(key, at..at.saturating_add(16).min(size)).await?;
        let Some((kind, box_size, header_len)) = box_header(&header, size - at) else { return Ok(None) };
        if &kind == b"moov" {
            if box_size > MAX_MOOV {
                return Ok(None);
            }
            let (Some(start), Some(end)) = (at.checked_add(header_len), at.checked_add(box_size)) else {
                return Ok(None);
            };
            if start > end.min(size) {
                return Ok(None);
            }
            let body = s.read_range(key, start..end.min(size)).await?;
            return Ok(moov_duration_ms(&body));
        }
        at = match at.checked_add(box_size) {
            Some(next) => next,
            None => return Ok(None),
        };
    }
    Ok(None)
}
