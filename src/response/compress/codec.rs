//! The three content codings, each as its codec's synchronous streaming encoder writing into a `Vec`: a frame
//! of the app's body goes in, the encoder is flushed, and what it wrote is that frame's compressed bytes,
//! decodable at once by a streaming decoder (gzip's sync flush, brotli's flush, zstd's flush). [`Encoder::finish`]
//! gives the stream's end (gzip's trailer, brotli's last meta-block, zstd's last block).
//!
//! The levels were chosen by measurement (`super::measure`, run with `cargo test --release --lib
//! compress::measure -- --ignored --nocapture`): each is where more effort stops buying much ratio for the CPU
//! it costs.

use bytes::Bytes;
use std::io::{self, Write};

/// A content coding the adapter can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Zstd,
    Brotli,
    Gzip,
}

impl Encoding {
    /// Every coding, in the order preferred among equal q-values: cheapest to produce at a good ratio first.
    pub(crate) const PREFERENCE: [Encoding; 3] = [Encoding::Zstd, Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` token.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Encoding::Zstd => "zstd",
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The level used for this coding.
    pub(crate) fn level(self) -> u32 {
        match self {
            Encoding::Zstd => ZSTD_LEVEL,
            Encoding::Brotli => BROTLI_QUALITY,
            Encoding::Gzip => GZIP_LEVEL,
        }
    }
}

// Measured on a 1 MiB JSON API answer, 266 KB of English prose and 1 MiB of bundled JavaScript (release
// build, CPU time per MiB of input, 64 KiB frames; ratio is input / output):
//   zstd 3:  2.7 ms, ratio 4.8 JSON / 4.1 prose / 4.8 JS   (zstd 6: 9.3 ms for 5.0 / 4.4 / 5.4)
//   br 4:   11.8 ms, ratio 5.0 / 4.2 / 5.1 whole, 4.7 JSON in 64 KiB frames   (br 5: 24 ms for 5.1 / 4.5 / 5.4)
//   gzip 6: 11.6 ms, ratio 4.7 / 3.9 / 5.0   (gzip 4: 8.4 ms for 4.5 / 3.8 / 4.9; gzip 9: 17.5 ms, no better)
// zstd gives gzip 6's ratio at a quarter of its CPU, hence first among equal q-values; brotli 4 costs what
// gzip 6 does for a better ratio, hence second.

/// zstd's level: its own default. The shipped build has only the block compressor this level uses
/// (scripts/build-static.sh): level 3 is zstd's double-fast strategy for every input size, from level 4 up
/// its greedy and lazier ones begin, which that build leaves out.
pub(crate) const ZSTD_LEVEL: u32 = 3;
const _: () = assert!(
    ZSTD_LEVEL <= 3,
    "scripts/build-static.sh leaves out zstd's strategies above double-fast: add them back for this level"
);
/// brotli's quality: 5 and up double the CPU for a few percent.
pub(crate) const BROTLI_QUALITY: u32 = 4;
/// gzip's level: zlib's default; 9 costs half as much again for nothing on JSON.
pub(crate) const GZIP_LEVEL: u32 = 6;
/// brotli's window, 2^LGWIN bytes (its encoder's default; a stream holds about this much history).
const BROTLI_LGWIN: u32 = 22;
/// The size of brotli's output buffer, between the encoder and the `Vec`.
const BROTLI_BUFFER: usize = 16 * 1024;

/// One response's encoder.
pub(crate) enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Encoder {
    /// An encoder for `encoding` at its chosen level.
    pub(crate) fn new(encoding: Encoding) -> io::Result<Encoder> {
        Encoder::with_level(encoding, encoding.level())
    }

    /// An encoder for `encoding` at `level` (gzip 0-9, brotli 0-11, zstd 1-22).
    pub(crate) fn with_level(encoding: Encoding, level: u32) -> io::Result<Encoder> {
        Ok(match encoding {
            Encoding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level))),
            Encoding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                BROTLI_BUFFER,
                level,
                BROTLI_LGWIN,
            ))),
            Encoding::Zstd => {
                let level = i32::try_from(level).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "zstd level out of range"))?;
                Encoder::Zstd(zstd::stream::write::Encoder::new(Vec::new(), level)?)
            }
        })
    }

    /// Compresses `data` and flushes: the bytes returned decode to all of `data` (after what came before).
    pub(crate) fn compress(&mut self, data: &[u8]) -> io::Result<Bytes> {
        match self {
            Encoder::Gzip(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                Ok(take(encoder.get_mut()))
            }
            Encoder::Brotli(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                Ok(take(encoder.get_mut()))
            }
            Encoder::Zstd(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                Ok(take(encoder.get_mut()))
            }
        }
    }

    /// Ends the stream: the bytes that close it.
    pub(crate) fn finish(self) -> io::Result<Bytes> {
        Ok(Bytes::from(match self {
            Encoder::Gzip(encoder) => encoder.finish()?,
            Encoder::Brotli(encoder) => encoder.into_inner(),
            Encoder::Zstd(encoder) => encoder.finish()?,
        }))
    }
}

/// The bytes written so far, leaving the `Vec` empty for the next frame.
fn take(output: &mut Vec<u8>) -> Bytes {
    Bytes::from(std::mem::take(output))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Read;

    /// A streaming decoder fed piece by piece, whose output so far can be read after each piece.
    pub(crate) enum Decoder {
        Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
        Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
        Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
    }

    impl Decoder {
        pub(crate) fn new(encoding: Encoding) -> Decoder {
            match encoding {
                Encoding::Gzip => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
                Encoding::Brotli => Decoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
                Encoding::Zstd => Decoder::Zstd(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
            }
        }

        /// Feeds compressed bytes; returns everything decoded so far.
        pub(crate) fn feed(&mut self, compressed: &[u8]) -> &[u8] {
            match self {
                Decoder::Gzip(d) => {
                    d.write_all(compressed).unwrap();
                    d.flush().unwrap();
                    d.get_ref()
                }
                Decoder::Brotli(d) => {
                    d.write_all(compressed).unwrap();
                    d.flush().unwrap();
                    d.get_ref()
                }
                Decoder::Zstd(d) => {
                    d.write_all(compressed).unwrap();
                    d.flush().unwrap();
                    d.get_ref()
                }
            }
        }
    }

    /// A whole stream decoded with the codecs' own readers.
    pub(crate) fn decode(encoding: Encoding, compressed: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match encoding {
            Encoding::Gzip => flate2::read::GzDecoder::new(compressed).read_to_end(&mut out).unwrap(),
            Encoding::Brotli => brotli::Decompressor::new(compressed, 4096).read_to_end(&mut out).unwrap(),
            Encoding::Zstd => zstd::stream::read::Decoder::new(compressed).unwrap().read_to_end(&mut out).unwrap(),
        };
        out
    }

    #[test]
    fn every_flush_makes_the_frame_decodable_at_once() {
        let frames: [&[u8]; 4] = [
            b"id: 1\ndata: {\"i\":1}\n\n",
            b"id: 2\ndata: {\"i\":2}\n\n",
            b"x",
            &[0u8, 0xff, 0x80, 1, 2, 3],
        ];
        for encoding in Encoding::PREFERENCE {
            let mut encoder = Encoder::new(encoding).unwrap();
            let mut decoder = Decoder::new(encoding);
            let mut sent = Vec::new();
            let mut wire = Vec::new();
            for frame in frames {
                let compressed = encoder.compress(frame).unwrap();
                assert!(!compressed.is_empty(), "{encoding:?}");
                wire.extend_from_slice(&compressed);
                sent.extend_from_slice(frame);
                // Everything sent so far is there, before the next frame or the end.
                assert_eq!(decoder.feed(&compressed), &sent[..], "{encoding:?}");
            }
            let end = encoder.finish().unwrap();
            wire.extend_from_slice(&end);
            assert_eq!(decoder.feed(&end), &sent[..], "{encoding:?}");
            assert_eq!(decode(encoding, &wire), sent, "{encoding:?}");
        }
    }

    #[test]
    fn an_empty_stream_is_still_a_valid_one() {
        for encoding in Encoding::PREFERENCE {
            let end = Encoder::new(encoding).unwrap().finish().unwrap();
            assert!(!end.is_empty());
            assert_eq!(decode(encoding, &end), b"", "{encoding:?}");
        }
    }

    #[test]
    fn large_frames_round_trip() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8 ^ (i / 7919) as u8).collect();
        for encoding in Encoding::PREFERENCE {
            let mut encoder = Encoder::new(encoding).unwrap();
            let mut wire = Vec::new();
            for chunk in data.chunks(1 << 20) {
                wire.extend_from_slice(&encoder.compress(chunk).unwrap());
            }
            wire.extend_from_slice(&encoder.finish().unwrap());
            assert_eq!(decode(encoding, &wire), data, "{encoding:?}");
        }
    }
}
