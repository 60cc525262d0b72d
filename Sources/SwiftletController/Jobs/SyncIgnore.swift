/// What a workdir sync (and a directory's file mount) leaves out, as SkyPilot's rsync leaves it
/// out: the `.skyignore` files when the top directory has one, else the `.gitignore` files (and
/// the top's `.git/info/exclude`). Each file is read where it stands and applies below it
/// (rsync's `dir-merge`), with rsync's reading of a line: `#` starts a comment; a trailing `/`
/// matches directories only; a pattern without `/` matches a name at any depth; one with a `/`
/// matches the path below the file's directory (from its start when it begins with `/`, else
/// at its end); `*` and `?` stop at `/`, `**` does not; `[...]` is a class. Pure: the walk reads
/// the files and asks.
struct SyncIgnore: Sendable, Equatable {
    /// The rule files' name: `.skyignore` or `.gitignore`.
    let fileName: String

    init(topHasSkyignore: Bool) {
        fileName = topHasSkyignore ? ".skyignore" : ".gitignore"
    }

    struct Rule: Sendable, Equatable {
        /// The directory of the file the rule came from, relative to the top ("" for the top).
        var base: String
        var pattern: [UInt8]
        var anchored: Bool
        var hasSlash: Bool
        var directoryOnly: Bool
    }

    /// The rules of one file's `text`, found in `base`.
    static func rules(_ text: String, base: String) -> [Rule] {
        text.split(separator: "\n").compactMap { rawLine in
            var line = Substring(rawLine)
            while line.last == " " || line.last == "\r" || line.last == "\t" { line = line.dropLast() }
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            let directoryOnly = line.hasSuffix("/")
            if directoryOnly { line = line.dropLast() }
            let anchored = line.hasPrefix("/")
            if anchored { line = line.dropFirst() }
            guard !line.isEmpty else { return nil }
            return Rule(
                base: base,
                pattern: Array(line.utf8),
                anchored: anchored,
                hasSlash: anchored || line.contains("/") || line.contains("**"),
                directoryOnly: directoryOnly
            )
        }
    }

    /// Whether `path` (relative to the top) is left out by any of `rules`.
    static func excludes(_ path: String, isDirectory: Bool, by rules: [Rule]) -> Bool {
        rules.contains { rule in
            guard !rule.directoryOnly || isDirectory else { return false }
            let below: Substring
            if rule.base.isEmpty {
                below = Substring(path)
            } else {
                guard path.hasPrefix(rule.base + "/") else { return false }
                below = path.dropFirst(rule.base.count + 1)
            }
            let name = Array(below.utf8)
            if !rule.hasSlash {
                let last = name.lastIndex(of: UInt8(ascii: "/")).map { Array(name[($0 + 1)...]) } ?? name
                return glob(rule.pattern[...], last[...])
            }
            if rule.anchored { return glob(rule.pattern[...], name[...]) }
            // Unanchored with a slash: the whole path below, or any tail of it that starts a
            // component.
            if glob(rule.pattern[...], name[...]) { return true }
            return name.indices.contains { name[$0] == UInt8(ascii: "/") && glob(rule.pattern[...], name[($0 + 1)...]) }
        }
    }

    /// rsync's wildcards over bytes: `*` and `?` within a component, `**` across them, `[...]`.
    static func glob(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/")
        guard let first = pattern.first else { return text.isEmpty }
        switch first {
        case UInt8(ascii: "*"):
            let rest = pattern.dropFirst()
            if rest.first == UInt8(ascii: "*") {
                let after = rest.dropFirst()
                return text.indices.contains { glob(after, text[$0...]) } || glob(after, text[text.endIndex...])
            }
            var index = text.startIndex
            while true {
                if glob(rest, text[index...]) { return true }
                guard index < text.endIndex, text[index] != slash else { return false }
                index += 1
            }
        case UInt8(ascii: "?"):
            guard let next = text.first, next != slash else { return false }
            return glob(pattern.dropFirst(), text.dropFirst())
        case UInt8(ascii: "["):
            guard let next = text.first, next != slash, let (matched, rest) = matchClass(pattern.dropFirst(), next) else {
                return text.first == first && glob(pattern.dropFirst(), text.dropFirst())
            }
            return matched && glob(rest, text.dropFirst())
        case UInt8(ascii: "\\") where pattern.count > 1:
            let literal = pattern[pattern.startIndex + 1]
            return text.first == literal && glob(pattern.dropFirst(2), text.dropFirst())
        default:
            return text.first == first && glob(pattern.dropFirst(), text.dropFirst())
        }
    }

    /// A `[...]` class (after its `[`) against `byte`: whether it matched, and the pattern after
    /// the class; nil when the class is not closed (then `[` is literal).
    private static func matchClass(_ pattern: ArraySlice<UInt8>, _ byte: UInt8) -> (Bool, ArraySlice<UInt8>)? {
        var index = pattern.startIndex
        let negated = index < pattern.endIndex && (pattern[index] == UInt8(ascii: "!") || pattern[index] == UInt8(ascii: "^"))
        if negated { index += 1 }
        var matched = false
        var first = true
        while index < pattern.endIndex {
            let current = pattern[index]
            if current == UInt8(ascii: "]") && !first { return (matched != negated, pattern[(index + 1)...]) }
            first = false
            if index + 2 < pattern.endIndex, pattern[index + 1] == UInt8(ascii: "-"), pattern[index + 2] != UInt8(ascii: "]") {
                if byte >= current && byte <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if byte == current { matched = true }
                index += 1
            }
        }
        return nil
    }
}
