import CLibCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// SHA-256 through the system's libcrypto.
public enum SHA256Digest {
    /// libcrypto without its configuration file: a digest needs none, and reading
    /// `openssl.cnf` costs about a millisecond of every command's start.
    private static let initialized: Void = {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_LOAD_CONFIG), nil)
    }()

    /// The lowercase hex digest of a whole file, read in 1 MiB chunks.
    public static func hex(ofFile path: String) throws(SystemError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot open \(path)") }
        defer { close(fd) }
        _ = initialized
        let context = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError(errno: errno, "cannot read \(path)")
            }
            if count == 0 { break }
            EVP_DigestUpdate(context, chunk.baseAddress, count)
        }
        return finish(context)
    }

    /// The lowercase hex digest of `bytes`.
    public static func hex<Bytes: Sequence<UInt8>>(of bytes: Bytes) -> String {
        _ = initialized
        let context = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        let array = Array(bytes)
        array.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        return finish(context)
    }

    private static func finish(_ context: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
