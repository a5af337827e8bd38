//! A small zip writer for Lambda's code and layer uploads, deterministic by design: entries in name order,
//! one fixed timestamp, Unix modes kept (Lambda restores the executable bit from them). The same files always
//! make the same bytes, so the layer's hash says whether its content changed, and a redeploy with nothing
//! changed uploads an identical zip.
//!
//! Deflate comes from flate2, already in the tree for response compression; no zip64 (Lambda's limits are far
//! below 4 GiB).

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;

/// One file of the archive.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The path inside the zip, with `/` separators.
    pub name: String,
    pub data: Vec<u8>,
    /// Unix permission bits (0o644, 0o755).
    pub mode: u32,
}

/// Why an archive could not be written.
#[derive(Debug)]
pub(super) enum ZipError {
    /// A size or count beyond what a zip without zip64 holds.
    TooBig(&'static str),
    Deflate(std::io::Error),
}

impl std::fmt::Display for ZipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZipError::TooBig(what) => write!(f, "too big for a zip: {what}"),
            ZipError::Deflate(error) => write!(f, "cannot compress: {error}"),
        }
    }
}

impl std::error::Error for ZipError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ZipError::TooBig(_) => None,
            ZipError::Deflate(error) => Some(error),
        }
    }
}

/// 1980-01-01 00:00, the earliest date a zip can hold.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

/// Writes `entries` (sorted by name here) as a zip archive.
pub(super) fn write(mut entries: Vec<Entry>) -> Result<Vec<u8>, ZipError> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries.dedup_by(|later, earlier| later.name == earlier.name);
    let count = u16::try_from(entries.len()).map_err(|_| ZipError::TooBig("more than 65,535 files"))?;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in &entries {
        let offset = u32::try_from(out.len()).map_err(|_| ZipError::TooBig("over 4 GiB"))?;
        let mut crc = flate2::Crc::new();
        crc.update(&entry.data);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&entry.data).map_err(ZipError::Deflate)?;
        let compressed = encoder.finish().map_err(ZipError::Deflate)?;
        let size = u32::try_from(entry.data.len()).map_err(|_| ZipError::TooBig("a file over 4 GiB"))?;
        let packed = u32::try_from(compressed.len()).map_err(|_| ZipError::TooBig("a file over 4 GiB"))?;
        let name_len = u16::try_from(entry.name.len()).map_err(|_| ZipError::TooBig("a path over 64 KiB"))?;
        let fields = Fields {
            crc: crc.sum(),
            packed,
            size,
            name_len,
        };

        out.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        fields.common(&mut out);
        out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        out.extend_from_slice(entry.name.as_bytes());
        out.extend_from_slice(&compressed);

        central.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        central.extend_from_slice(&0x0314_u16.to_le_bytes()); // made by: Unix, spec 2.0
        fields.common(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        let external = (0o100_000 | (entry.mode & 0o7777)) << 16; // a regular file, and its mode
        central.extend_from_slice(&external.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(entry.name.as_bytes());
    }
    let central_offset = u32::try_from(out.len()).map_err(|_| ZipError::TooBig("over 4 GiB"))?;
    let central_size = u32::try_from(central.len()).map_err(|_| ZipError::TooBig("over 4 GiB"))?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // this disk, the central directory's disk
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    Ok(out)
}

/// The fields the local header and the central directory share, from "version needed" to the name's length.
struct Fields {
    crc: u32,
    packed: u32,
    size: u32,
    name_len: u16,
}

impl Fields {
    fn common(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0 (deflate)
        out.extend_from_slice(&0x0800u16.to_le_bytes()); // names are UTF-8
        out.extend_from_slice(&8u16.to_le_bytes()); // deflate
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&self.crc.to_le_bytes());
        out.extend_from_slice(&self.packed.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.name_len.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reads_it_back_with_modes_and_the_same_bytes_each_time() {
        let entries = vec![
            Entry {
                name: "run.sh".into(),
                data: b"#!/bin/sh\nexec true\n".to_vec(),
                mode: 0o755,
            },
            Entry {
                name: "app/main.py".into(),
                data: b"print('hi')\n".repeat(100),
                mode: 0o644,
            },
        ];
        let zip = write(entries.clone()).unwrap();
        assert_eq!(
            zip,
            write(entries.into_iter().rev().collect()).unwrap(),
            "the order of entries changed the bytes"
        );
        let path = std::env::temp_dir().join(format!("lwa-zip-{}.zip", std::process::id()));
        std::fs::write(&path, &zip).unwrap();
        let listing = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist():\n    \
                 print(oct((i.external_attr >> 16) & 0o777), i.filename, len(z.read(i)))",
            )
            .arg(&path)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
        assert_eq!(
            String::from_utf8_lossy(&listing.stdout),
            "0o644 app/main.py 1200\n0o755 run.sh 20\n"
        );
    }
}
