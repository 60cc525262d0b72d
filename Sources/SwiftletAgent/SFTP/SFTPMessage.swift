/// SFTP version 3 (draft-ietf-secsh-filexfer-02, what OpenSSH speaks) as bytes: a packet is
/// `u32 length | u8 type | payload`; strings are `u32 length | bytes`; integers big-endian.
///
/// ```
/// +------------+---------+----------------------------------------+
/// | length u32 | type u8 | request id u32 | the request's fields  |
/// +------------+---------+----------------------------------------+
/// ```
enum SFTPMessage {
    enum Kind: UInt8 {
        case initialize = 1, version = 2, open = 3, close = 4, read = 5, write = 6, lstat = 7, fstat = 8, setstat = 9
        case fsetstat = 10, opendir = 11, readdir = 12, remove = 13, mkdir = 14, rmdir = 15, realpath = 16, stat = 17
        case rename = 18, readlink = 19, symlink = 20
        case status = 101, handle = 102, data = 103, name = 104, attributes = 105
        case extended = 200, extendedReply = 201
    }

    enum Status: UInt32 {
        case ok = 0, endOfFile = 1, noSuchFile = 2, permissionDenied = 3, failure = 4, badMessage = 5, unsupported = 8
    }

    /// The largest packet either side sends (OpenSSH's own limit is 256 KiB).
    static let maximumPacket = 256 * 1024
}

/// Reads an SFTP packet's fields in order; every read fails softly (nil) past the end.
struct SFTPReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u32() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        defer { position += 4 }
        return bytes[position..<position + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() -> UInt64? {
        guard let high = u32(), let low = u32() else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }

    mutating func data() -> [UInt8]? {
        guard let count = u32().map(Int.init), position + count <= bytes.count else { return nil }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func string() -> String? {
        data().map { String(decoding: $0, as: UTF8.self) }
    }

    /// ATTRS: flags, then each field its flag says is there.
    mutating func attributes() -> SFTPAttributes? {
        guard let flags = u32() else { return nil }
        var attributes = SFTPAttributes()
        if flags & SFTPAttributes.sizeFlag != 0 { attributes.size = u64() }
        if flags & SFTPAttributes.ownerFlag != 0 {
            guard let uid = u32(), let gid = u32() else { return nil }
            attributes.owner = (uid, gid)
        }
        if flags & SFTPAttributes.permissionsFlag != 0 { attributes.permissions = u32() }
        if flags & SFTPAttributes.timesFlag != 0 {
            guard let access = u32(), let modification = u32() else { return nil }
            attributes.times = (access, modification)
        }
        if flags & SFTPAttributes.extendedFlag != 0 {
            guard let count = u32() else { return nil }
            for _ in 0..<min(count, 1024) {
                guard string() != nil, string() != nil else { return nil }
            }
        }
        return attributes
    }
}

/// Writes an SFTP packet's fields.
struct SFTPWriter {
    private(set) var bytes: [UInt8] = [0, 0, 0, 0]

    init(_ kind: SFTPMessage.Kind, id: UInt32? = nil) {
        bytes.append(kind.rawValue)
        if let id { u32(id) }
    }

    mutating func u32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    mutating func u64(_ value: UInt64) {
        u32(UInt32(value >> 32))
        u32(UInt32(value & 0xffff_ffff))
    }

    mutating func data<C: Collection>(_ value: C) where C.Element == UInt8 {
        u32(UInt32(value.count))
        bytes += value
    }

    mutating func string(_ value: String) { data(Array(value.utf8)) }

    mutating func attributes(_ value: SFTPAttributes) {
        var flags: UInt32 = 0
        if value.size != nil { flags |= SFTPAttributes.sizeFlag }
        if value.owner != nil { flags |= SFTPAttributes.ownerFlag }
        if value.permissions != nil { flags |= SFTPAttributes.permissionsFlag }
        if value.times != nil { flags |= SFTPAttributes.timesFlag }
        u32(flags)
        if let size = value.size { u64(size) }
        if let (uid, gid) = value.owner {
            u32(uid)
            u32(gid)
        }
        if let permissions = value.permissions { u32(permissions) }
        if let (access, modification) = value.times {
            u32(access)
            u32(modification)
        }
    }

    /// The packet with its length filled in.
    var packet: [UInt8] {
        var packet = bytes
        let length = UInt32(packet.count - 4)
        packet[0] = UInt8(length >> 24)
        packet[1] = UInt8(length >> 16 & 0xff)
        packet[2] = UInt8(length >> 8 & 0xff)
        packet[3] = UInt8(length & 0xff)
        return packet
    }
}

/// A file's attributes as SFTP carries them; absent fields are not sent or not to be set.
struct SFTPAttributes {
    static let sizeFlag: UInt32 = 0x1
    static let ownerFlag: UInt32 = 0x2
    static let permissionsFlag: UInt32 = 0x4
    static let timesFlag: UInt32 = 0x8
    static let extendedFlag: UInt32 = 0x8000_0000

    var size: UInt64?
    var owner: (uid: UInt32, gid: UInt32)?
    var permissions: UInt32?
    var times: (access: UInt32, modification: UInt32)?
}
