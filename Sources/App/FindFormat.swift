import HTTP
import Query

/// Graphite's answers to `/metrics/find`: `treejson` (the default, which Grafana reads), `completer` and
/// `nodelist`, of nodes given one per name (`oneNodePerName`).
enum FindFormat {
    /// A name that is both a series and a branch (`a.b` beside `a.b.c`) is found as both: it shows as the branch.
    static func oneNodePerName(_ nodes: [MetricTree.Node]) -> [MetricTree.Node] {
        let branches = Set(nodes.filter { !$0.isLeaf }.map(\.path))
        return nodes.filter { !$0.isLeaf || !branches.contains($0.path) }
    }

    /// `[{"allowChildren", "context", "expandable", "id", "leaf", "text"}, ...]`, written straight into bytes (keys
    /// in the order JSON.write sorts them), branches before leaves as Graphite lists them. With `wildcards` and
    /// more than one node, a `*` node comes first, a branch if any node is one.
    static func treeJSON(_ nodes: [MetricTree.Node], query: String, wildcards: Bool) -> ResponseBody {
        let ordered = nodes.filter { !$0.isLeaf } + nodes.filter(\.isLeaf)
        var entries = ordered.map { (id: $0.path, text: lastName(of: $0.path), isLeaf: $0.isLeaf) }
        if wildcards && nodes.count > 1 { entries.insert((parentPath(of: query) + "*", "*", nodes.allSatisfy(\.isLeaf)), at: 0) }
        var out = ByteWriter(capacity: 64 + entries.count * 160)
        out.append("[")
        for (n, entry) in entries.enumerated() {
            if n > 0 { out.append(",") }
            appendTreeNode(id: entry.id, text: entry.text, isLeaf: entry.isLeaf, to: &out)
        }
        out.append("]")
        return out.finish()
    }

    /// `{"metrics": [{"is_leaf": "0", "name", "path"}, ...]}`, as graphite-web writes it: a branch's path ends in
    /// a dot, `is_leaf` is a string. With `wildcards` and more than one node, `{"name": "*"}` comes last.
    static func completer(_ nodes: [MetricTree.Node], wildcards: Bool) -> JSON {
        var metrics: [JSON] = nodes.map { node in
            ["is_leaf": .string(node.isLeaf ? "1" : "0"), "name": .string(lastName(of: node.path)),
             "path": .string(node.isLeaf ? node.path : node.path + ".")]
        }
        if wildcards && nodes.count > 1 { metrics.append(["name": "*"]) }
        return ["metrics": .array(metrics)]
    }

    /// `{"nodes": [...]}`: the distinct names at `position` of the paths found, sorted; a negative position counts
    /// from the end (-1, the default, is the last name). A 400 when a path has no name there.
    static func nodeList(_ nodes: [MetricTree.Node], position: Int) throws(HTTPError) -> JSON {
        var names = Set<Substring>()
        for node in nodes {
            guard let name = MetricPath(node.path)[position] else {
                throw HTTPError.badRequest("position: \(position) is beyond the names of '\(node.path.prefix(200))'", code: "bad_parameter")
            }
            names.insert(name)
        }
        return ["nodes": .array(names.sorted().map { .string(String($0)) })]
    }

    private static func appendTreeNode(id: String, text: String, isLeaf: Bool, to out: inout ByteWriter) {
        let flag: StaticString = isLeaf ? "0" : "1"
        out.append(#"{"allowChildren":"#)
        out.append(flag)
        out.append(#","context":{},"expandable":"#)
        out.append(flag)
        out.append(#","id":"#)
        out.appendJSONString(id)
        out.append(#","leaf":"#)
        out.append(isLeaf ? "1" : "0")
        out.append(#","text":"#)
        out.appendJSONString(text)
        out.append("}")
    }

    /// `a.b` of `a.b.c*`, with its dot; empty for a query of one name.
    private static func parentPath(of query: String) -> String {
        query.lastIndex(of: ".").map { String(query[...$0]) } ?? ""
    }

    private static func lastName(of path: String) -> String {
        path.lastIndex(of: ".").map { String(path[path.index(after: $0)...]) } ?? path
    }
}
