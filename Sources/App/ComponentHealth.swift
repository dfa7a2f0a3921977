import Foundation
import Synchronization

/// The state of each part of the service (HTTP, StatsD, storage, ...) with why and when it last changed.
public final class ComponentHealth: Sendable {
    public struct Component: Sendable {
        public var state: String
        public var reason: String
        public var changedAt: Date
        public var changeCount: Int
    }

    private let components = Mutex<[String: Component]>([:])

    public init() {}

    /// Records a state; the change count and time move only when the state differs.
    public func set(_ name: String, _ state: String, reason: String) {
        components.withLock { all in
            if var current = all[name] {
                if current.state != state {
                    current.changeCount += 1
                    current.changedAt = Date()
                }
                current.state = state
                current.reason = reason
                all[name] = current
            } else {
                all[name] = Component(state: state, reason: reason, changedAt: Date(), changeCount: 0)
            }
        }
    }

    public var snapshot: [String: Component] { components.withLock { $0 } }

    /// True when every component that should run is ONLINE.
    public var allOnline: Bool { snapshot.values.allSatisfy { $0.state == "ONLINE" || $0.state == "DISABLED" } }
}
