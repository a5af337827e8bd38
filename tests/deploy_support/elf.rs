//! Just enough of ELF to tell a static binary from a dynamic one: the program headers' PT_INTERP (the dynamic
//! loader the kernel must find, e.g. /lib64/ld-linux-x86-64.so.2, which an empty root lacks) and the
//! DT_NEEDED entries of the dynamic section (the shared libraries it loads). A static-pie binary has a dynamic
//! section, for relocating itself, but neither of these.

use std::path::Path;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;

#[derive(Debug)]
pub struct Linking {
    /// The requested program interpreter, if any.
    pub interpreter: Option<String>,
    /// How many shared libraries the dynamic section asks for.
    pub needed: usize,
}

/// Reads a 64-bit little-endian ELF file's program headers (x86_64 and aarch64 Linux binaries).
pub fn linking(path: &Path) -> Linking {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        data.len() > 64 && data[..4] == *b"\x7fELF" && data[4] == 2 && data[5] == 1,
        "{} is not a 64-bit little-endian ELF file",
        path.display()
    );
    let u16_at = |at: usize| u16::from_le_bytes(data[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    let mut linking = Linking {
        interpreter: None,
        needed: 0,
    };
    for header in (0..phnum).map(|i| phoff + i * phentsize) {
        let (kind, offset, size) = (u32_at(header), u64_at(header + 8) as usize, u64_at(header + 32) as usize);
        let segment = &data[offset..offset + size];
        match kind {
            PT_INTERP => {
                let path = segment.split(|&b| b == 0).next().unwrap_or_default();
                linking.interpreter = Some(String::from_utf8_lossy(path).into_owned());
            }
            PT_DYNAMIC => {
                for entry in segment.chunks_exact(16) {
                    match u64::from_le_bytes(entry[..8].try_into().unwrap()) {
                        DT_NULL => break,
                        DT_NEEDED => linking.needed += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    linking
}
