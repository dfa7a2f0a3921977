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

    private struct State {
        var components: [String: Component] = [:]
        /// Moves on every change of a state or reason.
        var revision = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Records a state; the change count and time move only when the state differs.
    public func set(_ name: String, _ state: String, reason: String) {
        self.state.withLock { current in
            if var component = current.components[name] {
                guard component.state != state || component.reason != reason else { return }
                if component.state != state {
                    component.changeCount += 1
                    component.changedAt = Date()
                }
                component.state = state
                component.reason = reason
                current.components[name] = component
            } else {
                current.components[name] = Component(state: state, reason: reason, changedAt: Date(), changeCount: 0)
            }
            current.revision += 1
        }
    }

    public var snapshot: [String: Component] { state.withLock { $0.components } }

    /// The components with the revision they are at, for readers that keep what they make from them.
    public var revisedSnapshot: (revision: Int, components: [String: Component]) {
        state.withLock { ($0.revision, $0.components) }
    }

    /// Whether `revision` is still current.
    public func isCurrent(_ revision: Int) -> Bool { state.withLock { $0.revision == revision } }

    /// True when every component that should run is ONLINE.
    public static func allOnline(_ components: [String: Component]) -> Bool {
        components.values.allSatisfy { $0.state == "ONLINE" || $0.state == "DISABLED" }
    }
}
