import HTTP
import Synchronization
import Posix
import Whisper

/// `/healthz` and `/metrics` (SPEC 8): no tenant data, open to anyone who reaches the listener.
struct OperationsRoutes: Sendable {
    let health: ComponentHealth
    let storage: CacheStats
    let openFiles: @Sendable () -> Int
    let ingest: @Sendable () -> IngestService?
    /// The HTTP servers by listener name ("http", "https"), read at request time.
    let servers: @Sendable () -> [(String, ServerMetrics)]
    private let healthzAnswer = KeptAnswer()

    /// The last `/healthz` answer and the health revision it shows.
    private final class KeptAnswer: Sendable {
        let last = Mutex<(revision: Int, response: Response)?>(nil)
    }

    func register(in router: inout Router) {
        router.add("GET", "/healthz", on: .eventLoop, healthz)
        router.add("GET", "/metrics", on: .eventLoop, metrics)
    }

    /// Made again only when a component changed: load balancers and monitors ask far more often than that.
    private func healthz(_ request: Request) -> Response {
        if let kept = healthzAnswer.last.withLock({ $0 }), health.isCurrent(kept.revision) { return kept.response }
        let (revision, snapshot) = health.revisedSnapshot
        let components = snapshot.mapValues { c -> JSON in
            [
                "state": .string(c.state), "reason": .string(c.reason),
                "changed_at": .string(Timestamp.iso(c.changedAt)), "change_count": .number(Double(c.changeCount)),
            ]
        }
        let ok = ComponentHealth.allOnline(snapshot)
        let response = Response.json(["status": .string(ok ? "ok" : "degraded"), "components": .object(components)], status: ok ? 200 : 503)
        healthzAnswer.last.withLock { $0 = (revision, response) }
        return response
    }

    private func metrics(_ request: Request) -> Response {
        var out = PrometheusText()
        let servers = servers()
        out.family("telewall_http_requests_total", "counter", "HTTP responses sent, by listener and status.") { add in
            for (name, m) in servers {
                for (status, count) in m.requestsByStatus.sorted(by: { $0.key < $1.key }) {
                    add(["listener": name, "status": String(status)], Double(count))
                }
            }
        }
        out.histogram("telewall_http_request_duration_seconds",
                      "Time from a request's arrival (in the kernel; over TLS, its read) to its answer handed to the socket, by listener, route and the pool its handler ran on.") { add in
            for (name, m) in servers {
                for (key, durations) in m.requestDurations.sorted(by: { $0.key.route < $1.key.route }) {
                    add(["listener": name, "route": key.route, "pool": key.placement.label], durations)
                }
            }
        }
        let gauges: [(String, String, String, (ServerMetrics) -> Int)] = [
            ("telewall_http_connections_open", "gauge", "Connections open now.", { $0.openConnections }),
            ("telewall_http_connections_capacity", "gauge", "The connection cap.", { $0.capacity }),
            ("telewall_http_connections_high_water", "gauge", "Most connections open at once since start.", { $0.highWaterMark }),
            ("telewall_http_connections_refused_total", "counter", "Connections refused at the cap.", { $0.refusedConnections }),
        ]
        for (name, type, help, value) in gauges {
            out.family(name, type, help) { add in
                for (listener, m) in servers { add(["listener": listener], Double(value(m))) }
            }
        }
        let storageFigures: [(String, String, String, Int)] = [
            ("telewall_points_buffered", "gauge", "Points buffered in the write-back cache, not yet on disk.", storage.buffered.load(ordering: .relaxed)),
            ("telewall_points_written_total", "counter", "Points written to Whisper files.", storage.written.load(ordering: .relaxed)),
            ("telewall_points_dropped_total", "counter", "Points dropped: over the buffer budget or failed writes.", storage.dropped.load(ordering: .relaxed)),
            ("telewall_points_invalid_total", "counter", "Points refused for an invalid series name.", storage.invalid.load(ordering: .relaxed)),
            ("telewall_storage_errors_total", "counter", "Series writes that failed.", storage.errors.load(ordering: .relaxed)),
            ("telewall_storage_series_writes_total", "counter", "Series write batches (points written / this = points per write).", storage.seriesWrites.load(ordering: .relaxed)),
            ("telewall_storage_open_files", "gauge", "Whisper files held open.", openFiles()),
        ]
        out.scalars(storageFigures)
        if let service = ingest() {
            let s = service.ingest.stats
            let kernel = UDPSocket.kernelReceiveErrors()
            let figures: [(String, String, String, Int)] = [
                ("telewall_statsd_packets_total", "counter", "Datagrams and TCP reads received (StatsD and Graphite).", s.packets.load(ordering: .relaxed)),
                ("telewall_statsd_lines_total", "counter", "Lines received.", s.lines.load(ordering: .relaxed)),
                ("telewall_statsd_bad_lines_total", "counter", "Lines refused as malformed.", s.badLines.load(ordering: .relaxed)),
                ("telewall_statsd_unknown_tokens_total", "counter", "Lines with an unknown or revoked token.", s.unknownTokens.load(ordering: .relaxed)),
                ("telewall_statsd_dropped_over_quota_total", "counter", "Lines dropped over a tenant's quota.", s.droppedOverQuota.load(ordering: .relaxed)),
                ("telewall_statsd_service_checks_total", "counter", "DogStatsD service checks received.", s.serviceChecks.load(ordering: .relaxed)),
                ("telewall_statsd_events_total", "counter", "DogStatsD events received.", s.events.load(ordering: .relaxed)),
                ("telewall_statsd_flushes_total", "counter", "Flushes done.", s.flushes.load(ordering: .relaxed)),
                ("telewall_statsd_flush_duration_microseconds", "gauge", "How long the last flush took.", s.lastFlushMicros.load(ordering: .relaxed)),
                ("telewall_statsd_points_flushed_total", "counter", "Points handed to storage by flushes.", s.pointsFlushed.load(ordering: .relaxed)),
                ("telewall_udp_receive_buffer_bytes", "gauge", "Kernel receive buffer of the StatsD UDP socket.", service.receiveBuffer),
                ("telewall_kernel_udp_rcvbuf_errors_total", "counter", "Host-wide UDP datagrams dropped for a full receive buffer (/proc/net/snmp).", kernel.bufferErrors),
                ("telewall_kernel_udp_in_errors_total", "counter", "Host-wide UDP receive errors (/proc/net/snmp).", kernel.inErrors),
            ]
            out.scalars(figures)
        }
        out.family("telewall_component_up", "gauge", "1 when the component is ONLINE.") { add in
            for (name, c) in health.snapshot.sorted(by: { $0.key < $1.key }) {
                add(["component": name], c.state == "ONLINE" ? 1 : 0)
            }
        }
        return .text(out.text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}

extension HandlerPlacement {
    /// The `pool` label of the duration histogram.
    var label: String {
        switch self {
        case .eventLoop: "event_loop"
        case .workerPool: "worker_pool"
        case .computePool: "compute_pool"
        }
    }
}

/// Prometheus text exposition format, version 0.0.4.
struct PrometheusText {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: ((([String: String], Double) -> Void)) -> Void) {
        header(name, type, help)
        samples { labels, value in sample(name, labels, value) }
    }

    /// A histogram family: each sample's cumulative buckets (`le`), then its `_sum` and `_count`.
    mutating func histogram(_ name: String, _ help: String, _ samples: ((([String: String], DurationHistogram) -> Void)) -> Void) {
        header(name, "histogram", help)
        samples { labels, histogram in
            var cumulative = 0
            for (bound, count) in zip(DurationHistogram.bounds, histogram.counts) {
                cumulative += count
                sample(name + "_bucket", labels.merging(["le": String(bound)]) { $1 }, Double(cumulative))
            }
            sample(name + "_bucket", labels.merging(["le": "+Inf"]) { $1 }, Double(histogram.count))
            sample(name + "_sum", labels, histogram.sum)
            sample(name + "_count", labels, Double(histogram.count))
        }
    }

    private mutating func header(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        let rendered = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }.joined(separator: ",")
        text += rendered.isEmpty ? "\(name) " : "\(name){\(rendered)} "
        text += value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        text += "\n"
    }

    /// Families of one unlabeled sample each: (name, type, help, value).
    mutating func scalars(_ figures: [(String, String, String, Int)]) {
        for (name, type, help, value) in figures {
            family(name, type, help) { add in add([:], Double(value)) }
        }
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
