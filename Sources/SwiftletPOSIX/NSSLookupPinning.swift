/// Pins glibc's name-service lookups to the modules built into a static binary.
///
/// A statically linked glibc program still `dlopen`s `libnss_*.so` for the databases that
/// `/etc/nsswitch.conf` names; a host's `sss`, `systemd` or `compat` module then crashes it.
/// Configuring every database to `files` (and `files dns` for hosts) before the first lookup
/// keeps glibc on its built-in code.
public enum NSSLookupPinning {
    /// The configuration applied, database by database.
    public static let configuration: [(database: String, services: String)] = [
        ("passwd", "files"), ("group", "files"), ("shadow", "files"), ("initgroups", "files"),
        ("services", "files"), ("protocols", "files"), ("networks", "files"), ("netgroup", "files"),
        ("hosts", "files dns"),
    ]

    /// Applies ``configuration``. Returns the databases glibc refused (expected: none).
    @discardableResult
    public static func apply() -> [String] {
        configuration.compactMap { entry in
            nssConfigureLookup(entry.database, entry.services) == 0 ? nil : entry.database
        }
    }
}

@_silgen_name("__nss_configure_lookup")
private func nssConfigureLookup(_ database: UnsafePointer<CChar>, _ services: UnsafePointer<CChar>) -> Int32
