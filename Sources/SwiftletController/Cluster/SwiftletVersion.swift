/// The controller's release version.
public enum SwiftletVersion {
    public static let current = "0.1.0"
}
