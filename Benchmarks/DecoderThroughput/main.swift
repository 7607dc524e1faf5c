// Host throughput of the boot stub's decoders (StubCore) against the C libraries (Compressors), on the same
// payloads, in the same process, alternating. Usage: bench-decoders REFERENCE PAYLOAD... (see scripts/bench-decoders).
import Compressors
import Foundation
import StubCore

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 2 else {
    FileHandle.standardError.write("usage: bench-decoders REFERENCE PAYLOAD...\n".data(using: .utf8)!)
    exit(2)
}
let runs = Int(ProcessInfo.processInfo.environment["BENCH_RUNS"] ?? "") ?? 5

func read(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write("bench-decoders: cannot read \(path)\n".data(using: .utf8)!)
        exit(1)
    }
    return [UInt8](data)
}

/// Seconds `body` takes.
func timed(_ body: () -> Void) -> Double {
    var start = timespec(), stop = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    body()
    clock_gettime(CLOCK_MONOTONIC, &stop)
    return Double(stop.tv_sec - start.tv_sec) + Double(stop.tv_nsec - start.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

let reference = read(arguments.first!)
var failed = false
print("format  payload bytes     C MB/s  ours MB/s    ratio  goal")
for path in arguments.dropFirst() {
    let payload = read(path)
    let format = payload.withUnsafeBytes { PayloadFormat(detecting: $0) }
    guard let format else {
        print("\(path): not a payload"); failed = true; continue
    }
    // Output buffers and workspace allocated and touched before timing: page faults are not decoding.
    var cOut = [UInt8](repeating: 1, count: reference.count + 1)
    var ours = [UInt8](repeating: 2, count: reference.count)
    var workspace = [UInt8](repeating: 0, count: max(format.workspaceSize, 1))
    var cTimes: [Double] = [], ourTimes: [Double] = []
    var cCount = 0, ourCount = 0
    var problem: String?
    payload.withUnsafeBytes { input in
        let body = UnsafeRawBufferPointer(rebasing: input.dropLast(format.sizeTrailerLength))
        for _ in 0..<runs {
            cTimes.append(timed {
                cOut.withUnsafeMutableBytes { out in
                    do throws(CompressionError) { cCount = try Payload.decompress(input, as: format, into: out) }
                    catch { problem = "C library: \(error)" }
                }
            })
            ourTimes.append(timed {
                ours.withUnsafeMutableBytes { out in
                    workspace.withUnsafeMutableBytes { workspace in
                        do throws(DecodeError) { ourCount = try format.decode(body, into: out, workspace: workspace) }
                        catch { problem = "StubCore: \(error)" }
                    }
                }
            })
        }
    }
    if problem == nil && (cCount != reference.count || !cOut.prefix(cCount).elementsEqual(reference)) {
        problem = "the C library's output differs from the reference"
    }
    if problem == nil && (ourCount != reference.count || ours != reference) {
        problem = "our output differs from the reference"
    }
    if let problem {
        print("\(format.name): FAILED: \(problem)"); failed = true; continue
    }
    let mb = Double(reference.count) / 1e6
    let c = mb / median(cTimes), o = mb / median(ourTimes)
    let name = format.name.padding(toLength: 6, withPad: " ", startingAt: 0)
    print(name + String(format: " %15d %10.0f %10.0f %8.2f  ratio >= 0.80", payload.count, c, o, o / c))
}
exit(failed ? 1 : 0)
