//! A counting global allocator, for the benchmark's "allocations per invocation" (feature `count-allocations`,
//! which no shipped build enables: scripts/build-static.sh, the layer and the images build without it).
//!
//! Allocations are the adapter's churn that CPU time alone hides (each is a trip through the allocator, and
//! the set of live ones is resident memory). The count must reach a process outside: the benchmark names a
//! file in [`FILE_VARIABLE`]; [`share_from_env`] maps its first eight bytes into memory shared with that
//! file, and every allocation from then on adds one to them, so the benchmark reads the count with an
//! ordinary `read` whenever it likes, with no signal, socket or work on the adapter's side. Without the
//! variable nothing is counted. `alloc`, `alloc_zeroed` and `realloc` each count one; `dealloc` none.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// The variable naming the file the count is kept in (created by the benchmark; its first 8 bytes are the
/// count, native-endian).
pub const FILE_VARIABLE: &str = "LAMBDA_ADAPTER_COUNT_ALLOCATIONS";

/// The shared counter, null until [`share_from_env`] maps it.
static SHARED: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());

/// The system allocator, counting calls into the shared file once it is mapped.
pub struct Counting;

impl Counting {
    #[inline]
    fn count() {
        let shared = SHARED.load(Ordering::Relaxed);
        // SAFETY: a non-null pointer is the start of a live shared mapping of 8 bytes, page-aligned, never
        // unmapped (see `share_from_env`).
        if let Some(counter) = unsafe { shared.as_ref() } {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is forwarded to `System` unchanged; counting allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Counting::count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Counting::count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Counting::count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Starts counting into the file [`FILE_VARIABLE`] names, when it is set and can be mapped; otherwise nothing
/// is counted. Call once, first thing in `main`.
pub fn share_from_env() {
    use std::os::fd::AsRawFd;
    let Some(path) = std::env::var_os(FILE_VARIABLE) else {
        return;
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path);
    let Ok(file) = file.and_then(|file| file.set_len(8).map(|()| file)) else {
        return;
    };
    // SAFETY: a fresh shared mapping of the file's 8 bytes; the kernel keeps it after the file is closed, and
    // it is never unmapped, so the pointer stays valid for the life of the process.
    let mapped = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            8,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if mapped != libc::MAP_FAILED {
        SHARED.store(mapped.cast(), Ordering::Relaxed);
    }
}
