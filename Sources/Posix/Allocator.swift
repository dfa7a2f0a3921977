import CLinux

/// glibc malloc settings for a server that builds large answers (render JSON of 100-300 KB) many times a second.
public enum Allocator {
    /// Keeps freed memory in the process for reuse: blocks up to 64 MiB come from the heap instead of fresh
    /// `mmap`s, and free memory is given back to the kernel only past 256 MiB. Without this, every large answer
    /// costs page faults and zeroing of fresh pages (a fifth of a 24 h render's time) and an `madvise` on free.
    public static func keepFreedMemory() {
        cl_malloc_thresholds(64 << 20, 256 << 20)
    }
}
