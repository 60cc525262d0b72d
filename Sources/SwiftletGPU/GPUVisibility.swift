/// The variables that tell CUDA and ROCm which GPUs a job's process may use.
public enum GPUVisibility {
    /// Every variable that limits which GPUs a process sees.
    public static let variables = ["CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"]

    /// `environment` for a process given exactly `devices`: NVIDIA's as
    /// `CUDA_VISIBLE_DEVICES`, AMD's as `ROCR_VISIBLE_DEVICES`, by UUID (CUDA numbers devices
    /// fastest first, not in `nvidia-smi`'s bus order, so an index could name another GPU; a
    /// UUID cannot), by index where the UUID is unknown. With no devices (a setup, a job that
    /// asked for none) the variable is unset, as SkyPilot leaves it for a setup.
    public static func applied(to environment: [String: String], devices: [GPUDevice]) -> [String: String] {
        var result = environment
        let vendor = devices.first?.vendor
        result["CUDA_VISIBLE_DEVICES"] = nil
        result["ROCR_VISIBLE_DEVICES"] = nil
        guard let vendor else { return result }
        let value = devices.map { $0.uuid.hasPrefix("GPU-") || $0.uuid.hasPrefix("MIG-") ? $0.uuid : String($0.index) }.joined(
            separator: ","
        )
        switch vendor {
        case .nvidia: result["CUDA_VISIBLE_DEVICES"] = value
        case .amd: result["ROCR_VISIBLE_DEVICES"] = value
        }
        return result
    }
}
