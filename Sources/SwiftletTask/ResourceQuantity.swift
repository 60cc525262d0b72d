/// A `cpus` or `memory` amount as SkyPilot writes it: a number (`4`, `0.5`), at least that much
/// (`4+`), and for memory a unit too (`32GB`, `512MiB`, in GB once read), normalised as SkyPilot
/// 0.14 normalises it (`32GB` reads `32.0`; `16+` stays `16+`).
public struct ResourceQuantity: Sendable, Equatable {
    /// CPUs, or GB of memory (2^30 bytes, as SkyPilot counts them).
    public var amount: Double
    /// Written with `+`: at least that much (on a node Swiftlet does not pick, any amount asks
    /// for at least that much).
    public var atLeast: Bool
    /// SkyPilot's text for it.
    public var text: String

    /// SkyPilot's words for an amount it refuses (without a file and line: the loader adds them).
    public struct Invalid: Error, Equatable {
        public var message: String
    }

    /// `cpus`: a positive number, or `<number>+`.
    public static func cpus(_ text: String) throws(Invalid) -> ResourceQuantity {
        let atLeast = text.hasSuffix("+")
        guard let amount = number(atLeast ? String(text.dropLast()) : text) else {
            throw Invalid(message: "The \"cpus\" field should be either a number or a string \"<number>+\". Found: \(pythonRepr(text))")
        }
        guard amount > 0 else { throw Invalid(message: "The \"cpus\" field should be positive. Found: \(pythonRepr(text))") }
        return ResourceQuantity(amount: amount, atLeast: atLeast, text: text)
    }

    /// `memory`: GB as a number, `<number><unit>` (KB, MB, GB, TB, PB, or KI..PI, any case), each
    /// with `+` for at least.
    public static func memory(_ text: String) throws(Invalid) -> ResourceQuantity {
        let invalid = Invalid(
            message: "\"memory\" field should be a number (e.g. \"16\") or \"<number><unit>\" where unit is one of KB/MB/GB/TB/PB "
                + "(e.g. \"16GB\") or \"<number>+\" for \"at least\". Got: \(pythonRepr(text))"
        )
        var body = Substring(text)
        var suffix = ""
        if body.hasSuffix("+") || body.hasSuffix("x") {
            suffix = String(body.removeLast())
        }
        let normalised: String
        let amount: Double
        if let plain = number(String(body)) {
            (normalised, amount) = (String(body), plain)
        } else {
            let lower = body.lowercased()
            guard let (unit, scale) = units.first(where: { lower.hasSuffix($0.0) }),
                let value = number(String(lower.dropLast(unit.count)))
            else { throw invalid }
            amount = value * scale / units[4].1
            normalised = pythonFloat(amount)
        }
        let text = normalised + suffix
        guard amount > 0 else { throw Invalid(message: "The \"memory\" field should be positive. Found: \(pythonRepr(text))") }
        return ResourceQuantity(amount: amount, atLeast: suffix == "+", text: text)
    }

    /// SkyPilot's units, in the order it tries them.
    private static let units: [(String, Double)] = [
        ("kb", 0x1p10), ("ki", 0x1p10), ("mb", 0x1p20), ("mi", 0x1p20), ("gb", 0x1p30), ("gi", 0x1p30),
        ("tb", 0x1p40), ("ti", 0x1p40), ("pb", 0x1p50), ("pi", 0x1p50),
    ]

    /// A finite number as Python's `float()` reads one (surrounding spaces allowed).
    private static func number(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty, let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    /// `32.0`, `0.5`, as Python prints a float.
    private static func pythonFloat(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e16 ? String(Int64(value)) + ".0" : "\(value)"
    }

    private static func pythonRepr(_ text: String) -> String {
        text.contains("'") && !text.contains("\"") ? "\"\(text)\"" : "'\(text.replacingAll("'", with: "\\'"))'"
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { result += character == target ? replacement : String(character) }
        return result
    }
}
