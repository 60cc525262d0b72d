/// Keeps the buffers a stream cycles through (1 MiB reads, 256 KiB frames) inside the process.
///
/// glibc serves blocks of 128 KiB or more with `mmap` and hands freed memory at the top of
/// the heap back to the kernel, so a stream that allocates and frees such blocks faults in and
/// zeroes fresh pages for every one: about 2,000 page faults per million lines streamed.
/// Raising both thresholds lets freed blocks be reused as they are.
public enum HeapTuning {
    /// Blocks below this come from the heap, where freed ones are reused.
    public static let mmapThreshold: Int32 = 2 << 20
    /// Free memory kept at the top of the heap before any is returned.
    public static let trimThreshold: Int32 = 4 << 20

    /// Applies both thresholds. Returns false where glibc refused either (only speed is lost).
    @discardableResult
    public static func apply() -> Bool {
        let mmap = mallopt(mmapThresholdOption, mmapThreshold)
        let trim = mallopt(trimThresholdOption, trimThreshold)
        return mmap == 1 && trim == 1
    }

    /// `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` from `<malloc.h>`, which Glibc does not export.
    private static let trimThresholdOption: Int32 = -1
    private static let mmapThresholdOption: Int32 = -3
}

@_silgen_name("mallopt")
private func mallopt(_ option: Int32, _ value: Int32) -> Int32
