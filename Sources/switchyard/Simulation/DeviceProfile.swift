import Switchyard
import SwitchyardNeuralAccelerator

/// A device as `switchyard simulate` prices it: each compute unit's rates, latency and power, the
/// cost of handing a tensor between units, and a thermal model. Read from `profiles/NAME.json`;
/// every figure's source is in docs/device-profiles.md.
struct DeviceProfile {
    struct Unit {
        /// FLOP/s on fp16 matrix math (multiply-add = 2).
        var peakFP16: Double
        var peakInt8: Double
        /// Bytes/s the unit streams from DRAM.
        var memoryBandwidth: Double
        /// Bytes/s the unit's kernels stream a weight of each format at, where measured
        /// (`switchyard devices --probe`); an op reading a weight of another format, or none, streams
        /// at `memoryBandwidth`.
        var formatBandwidth: [WeightFormat: Double]
        /// Seconds per dispatch (per op) or, on an accelerator, per program invocation.
        var dispatchLatency: Double
        /// Bytes per activation element the runtime keeps on this unit.
        var activationBytes: Double
        var activeWatts: Double
        var idleWatts: Double
        var onChipBytes: Double
        var compileSecondsPerProgram: Double
    }

    /// A device absorbs `headroomJoules` above `sustainedWatts`, then throttles to the speed s where
    /// its power (∝ s^powerExponent) equals `sustainedWatts`, never below `minimumSpeed`.
    struct Thermal {
        var sustainedWatts: Double
        var headroomJoules: Double
        var powerExponent: Double
        var minimumSpeed: Double
    }

    var name: String
    var description: String
    var units: [ComputeUnit: Unit]
    var handoffLatency: Double
    var handoffBandwidth: Double
    var thermal: Thermal

    struct ProfileError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Loads `nameOrPath`: a path to a JSON file, or the name of one in `profiles/`.
    static func load(_ nameOrPath: String) throws -> DeviceProfile {
        let candidates = nameOrPath.hasSuffix(".json") ? [nameOrPath] : (profileFolders.isEmpty ? ["profiles"] : profileFolders).map { "\($0)/\(nameOrPath).json" }
        guard let path = candidates.first(where: { access($0, R_OK) == 0 }) else {
            throw ProfileError(message: "no device profile '\(nameOrPath)' (looked at \(candidates.joined(separator: ", "))); known: \(known.joined(separator: ", "))")
        }
        return try parse(try TextFile.read(path), source: path)
    }

    /// Where profiles are looked up: SWITCHYARD_PROFILES, ./profiles, and the checkout's profiles/
    /// above the built tool (.build/<triple>/release/switchyard).
    static var profileFolders: [String] {
        var folders: [String] = []
        if let env = getenv("SWITCHYARD_PROFILES") { folders.append(String(cString: env)) }
        folders.append("profiles")
        let tool = CommandLine.arguments[0]
        if let slash = tool.lastIndex(of: "/") {
            var dir = String(tool[..<slash])
            for _ in 0..<4 {
                dir += "/.."
                folders.append(dir + "/profiles")
            }
        }
        return folders.filter { access($0, R_OK) == 0 }
    }

    /// Profile names found in the profile folders.
    static var known: [String] {
        var names = Set<String>()
        for folder in profileFolders {
            guard let dir = opendir(folder) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasSuffix(".json") { names.insert(String(name.dropLast(5))) }
            }
        }
        return names.sorted()
    }

    static func parse(_ text: String, source: String) throws -> DeviceProfile {
        let json = try JSONValue.parse(text)
        func number(_ value: JSONValue?, _ key: String) throws -> Double {
            guard let x = value?[key]?.number, x.isFinite, x >= 0 else { throw ProfileError(message: "\(source): '\(key)' must be a non-negative number") }
            return x
        }
        var units: [ComputeUnit: Unit] = [:]
        for (key, value) in json["units"]?.object ?? [:] {
            guard let unit = ComputeUnit(rawValue: key) else { throw ProfileError(message: "\(source): unknown unit '\(key)' (cpu, gpu, accelerator)") }
            var formatBandwidth: [WeightFormat: Double] = [:]
            for (name, rate) in value["formatBandwidth"]?.object ?? [:] {
                guard let format = WeightFormat(rawValue: name) else {
                    throw ProfileError(message: "\(source): unit '\(key)': unknown weight format '\(name)' in formatBandwidth (\(WeightFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard let x = rate.number, x.isFinite, x > 0 else { throw ProfileError(message: "\(source): unit '\(key)': formatBandwidth '\(name)' must be a positive number") }
                formatBandwidth[format] = x
            }
            units[unit] = Unit(
                peakFP16: try number(value, "peakFP16"), peakInt8: value["peakInt8"]?.number ?? 0,
                memoryBandwidth: try number(value, "memoryBandwidth"), formatBandwidth: formatBandwidth,
                dispatchLatency: try number(value, "dispatchLatency"),
                activationBytes: try number(value, "activationBytes"), activeWatts: try number(value, "activeWatts"),
                idleWatts: try number(value, "idleWatts"), onChipBytes: value["onChipBytes"]?.number ?? 0,
                compileSecondsPerProgram: value["compileSecondsPerProgram"]?.number ?? 0)
            guard units[unit]!.peakFP16 > 0, units[unit]!.memoryBandwidth > 0 else {
                throw ProfileError(message: "\(source): unit '\(key)' needs a positive peakFP16 and memoryBandwidth")
            }
        }
        guard !units.isEmpty else { throw ProfileError(message: "\(source): no units") }
        let thermal = json["thermal"]
        return DeviceProfile(
            name: json["name"]?.string ?? source, description: json["description"]?.string ?? "",
            units: units,
            handoffLatency: try number(json["handoff"], "latency"), handoffBandwidth: max(try number(json["handoff"], "bandwidth"), 1),
            thermal: Thermal(sustainedWatts: try number(thermal, "sustainedWatts"), headroomJoules: try number(thermal, "headroomJoules"),
                             powerExponent: max(try number(thermal, "powerExponent"), 0.1), minimumSpeed: try number(thermal, "minimumSpeed")))
    }

    /// The accelerator's cost model on this device (its unit and the device's hand-off figures).
    var acceleratorCost: UnitCostModel? {
        guard let a = units[.accelerator] else { return nil }
        return UnitCostModel(peakFP16: a.peakFP16, peakInt8: a.peakInt8, memoryBandwidth: a.memoryBandwidth,
                             onChipBytes: Int(a.onChipBytes), dispatchLatency: a.dispatchLatency, handoffLatency: handoffLatency,
                             handoffBandwidth: handoffBandwidth, compileSecondsPerProgram: a.compileSecondsPerProgram,
                             activeWatts: a.activeWatts, idleWatts: a.idleWatts)
    }
}

#if canImport(Glibc)
import Glibc
#endif
