import CLinux
import Foundation

/// Starts a thread named `name` for the operating system too (`top -H`, `/proc/<pid>/task/*/comm`, debuggers):
/// Foundation's `Thread.name`, set before the thread runs, stays inside Foundation on Linux. The kernel keeps
/// the first 15 bytes.
public func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
        _ = cl_set_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
        body()
    }
    thread.name = name
    thread.start()
}
