//! Media type detection from the bytes themselves, never from a declared header.

/// The MIME type the leading bytes prove, for the kinds providers accept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |sig: &[u8]| bytes.len() >= sig.len() && &bytes[..sig.len()] == sig;
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        Some(if &bytes[8..10] == b"qt" { "video/quicktime" } else { "video/mp4" })
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::sniff;

    #[test]
    fn known_signatures_are_recognised_and_text_is_not() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0JFIF"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a...."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0"), Some("video/mp4"));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0"), Some("video/quicktime"));
        assert_eq!(sniff(b"<html><body>"), None);
        assert_eq!(sniff(b""), None);
    }
}

/// What providers' media rules need to know about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Gif,
    Video,
}

impl MediaKind {
    pub fn of(mime: &str) -> Option<MediaKind> {
        match mime {
            "image/gif" => Some(MediaKind::Gif),
            m if m.starts_with("image/") => Some(MediaKind::Image),
            m if m.starts_with("video/") => Some(MediaKind::Video),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Gif => "gif",
            MediaKind::Video => "video",
        }
    }
}

/// An ISO-BMFF box header: (type, total size, header length). `None` when the bytes do
/// not hold a whole header. A size of 0 means "to the end of the file".
pub fn box_header(bytes: &[u8], file_rest: u64) -> Option<([u8; 4], u64, u64)> {
    if bytes.len() < 8 {
        return None;
    }
    let size32 = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as u64;
    let kind = [bytes[4], bytes[5], bytes[6], bytes[7]];
    match size32 {
        0 => Some((kind, file_rest, 8)),
        1 if bytes.len() >= 16 => {
            let size = u64::from_be_bytes([
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
            ]);
            (size >= 16).then_some((kind, size, 16))
        }
        1 => None,
        s if s >= 8 => Some((kind, s, 8)),
        _ => None,
    }
}

/// The duration in milliseconds from the body of a `moov` box (its `mvhd` child).
pub fn moov_duration_ms(moov_body: &[u8]) -> Option<u64> {
    let mut at = 0usize;
    while at < moov_body.len() {
        let rest = moov_body.get(at..)?;
        let (kind, size, header) = box_header(rest, rest.len() as u64)?;
        // A box's size is the file's word: it may claim up to u64::MAX.
        let size = usize::try_from(size).ok()?;
        let end = at.checked_add(size)?;
        if &kind == b"mvhd" {
            let body = moov_body.get(at.checked_add(usize::try_from(header).ok()?)?..end)?;
            let version = *body.first()?;
            let (timescale, duration) = if version == 1 {
                let ts = u32::from_be_bytes(body.get(20..24)?.try_into().ok()?) as u64;
                (ts, u64::from_be_bytes(body.get(24..32)?.try_into().ok()?))
            } else {
                let ts = u32::from_be_bytes(body.get(12..16)?.try_into().ok()?) as u64;
                (ts, u32::from_be_bytes(body.get(16..20)?.try_into().ok()?) as u64)
            };
            return (timescale > 0).then(|| duration.saturating_mul(1000) / timescale);
        }
        at = end;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod mp4_tests {
    use super::*;

    /// A `moov` body holding a version-0 `mvhd` with the given timescale and duration.
    fn moov_body(timescale: u32, duration: u32) -> Vec<u8> {
        let mut mvhd = vec![0u8; 4 + 4 + 4]; // version+flags, creation, modification
        mvhd.extend_from_slice(&timescale.to_be_bytes());
        mvhd.extend_from_slice(&duration.to_be_bytes());
        mvhd.extend_from_slice(&[0u8; 80]);
        let mut b = Vec::new();
        b.extend_from_slice(&((mvhd.len() + 8) as u32).to_be_bytes());
        b.extend_from_slice(b"mvhd");
        b.extend_from_slice(&mvhd);
        b
    }

    /// The fuzzing corpus (`make fuzz` grows it) replayed on every test run, on stable Rust.
    #[test]
    fn the_fuzz_corpus_runs_through_every_sniffer_without_a_panic() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/media_sniff");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let _ = sniff(&bytes);
            let _ = moov_duration_ms(&bytes);
            let _ = box_header(&bytes, bytes.len() as u64);
            n += 1;
        }
        assert!(n >= 8, "the corpus is missing: {n} files");
    }

    #[test]
    fn box_sizes_near_u64_max_never_overflow() {
        // After a small box, a 64-bit box size of u64::MAX; then one that ends past the body.
        let mut huge = vec![0, 0, 0, 8];
        huge.extend_from_slice(b"free");
        huge.extend_from_slice(&[0, 0, 0, 1]);
        huge.extend_from_slice(b"mvhd");
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        huge.extend_from_slice(&[0u8; 32]);
        assert_eq!(moov_duration_ms(&huge), None);
        let mut past = Vec::new();
        past.extend_from_slice(&0xffff_fff0u32.to_be_bytes());
        past.extend_from_slice(b"free");
        past.extend_from_slice(&moov_body(1000, 5000));
        assert_eq!(moov_duration_ms(&past), None);
        assert_eq!(box_header(&huge[8..], 10), Some((*b"mvhd", u64::MAX, 16)));
    }

    #[test]
    fn mvhd_gives_the_duration() {
        assert_eq!(moov_duration_ms(&moov_body(1000, 12_345)), Some(12_345));
        assert_eq!(moov_duration_ms(&moov_body(90_000, 90_000 * 3)), Some(3000));
        assert_eq!(moov_duration_ms(&moov_body(0, 5)), None);
        assert_eq!(moov_duration_ms(b"\0\0\0\x08free"), None);
    }

    #[test]
    fn box_headers_handle_the_three_size_forms() {
        assert_eq!(box_header(b"\0\0\0\x18ftypmp42", 100), Some((*b"ftyp", 24, 8)));
        assert_eq!(box_header(b"\0\0\0\0mdat", 100), Some((*b"mdat", 100, 8)));
        let mut large = b"\0\0\0\x01mdat".to_vec();
        large.extend_from_slice(&(1u64 << 33).to_be_bytes());
        assert_eq!(box_header(&large, 0), Some((*b"mdat", 1 << 33, 16)));
        assert_eq!(box_header(b"\0\0\0\x04oops", 100), None);
        assert_eq!(MediaKind::of("video/mp4"), Some(MediaKind::Video));
        assert_eq!(MediaKind::of("image/gif"), Some(MediaKind::Gif));
        assert_eq!(MediaKind::of("text/html"), None);
    }
}
