//! Any bytes through the media sniffers: the type check, MP4/MOV box headers and the
//! `moov` duration walk must never panic, whatever sizes a file claims.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = domain::media::sniff(data);
    let _ = domain::media::moov_duration_ms(data);
    // Walk top-level boxes as media-ingest does, with the file size the input claims.
    let mut at = 0usize;
    for _ in 0..64 {
        let Some(rest) = data.get(at..) else { break };
        let Some((_, size, _)) = domain::media::box_header(rest, rest.len() as u64) else { break };
        match usize::try_from(size).ok().and_then(|s| at.checked_add(s)) {
            Some(next) if next > at => at = next,
            _ => break,
        }
    }
});
