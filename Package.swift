// swift-tools-version:6.1
import PackageDescription

/// Telewall: a multi-tenant StatsD/Graphite service. Dependencies point one way:
/// CLinux → Posix → HTTP; COpenSSL → TLS → HTTP; Accounts (GRDB); all → App → telewall.
let package = Package(
    name: "telewall",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "telewall", targets: ["telewall"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(name: "CLinux", cSettings: [.define("_GNU_SOURCE")]),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "Posix", dependencies: ["CLinux"]),
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        .target(
            name: "HTTP",
            dependencies: ["Posix", "TLS", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "Whisper", dependencies: ["Posix"]),
        .target(name: "Query", dependencies: ["Whisper", "Posix"]),
        .target(name: "StatsD", dependencies: ["Posix", "TLS", "Whisper", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "Accounts",
            dependencies: ["TLS", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "App",
            dependencies: [
                "HTTP", "Accounts", "TLS", "Whisper", "StatsD", "Query",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "telewall",
            dependencies: [
                "App", "Accounts", "Whisper", "Posix",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "telewall-bench", dependencies: ["Whisper", "Posix"], path: "Benchmarks/telewall-bench"),
        .target(name: "TestSupport", dependencies: ["Posix"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Posix", "TLS", "TestSupport"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "TestSupport"]),
        .testTarget(name: "QueryTests", dependencies: ["Query", "Whisper", "Posix", "TestSupport"]),
        .testTarget(name: "StatsDTests", dependencies: ["StatsD", "Whisper", "Posix", "TestSupport"]),
        .testTarget(name: "WhisperTests", dependencies: ["Whisper", "Posix", "TestSupport"], exclude: ["whisper_oracle.py"]),
        .testTarget(
            name: "AccountsTests", dependencies: ["Accounts", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "AppTests",
            dependencies: ["App", "HTTP", "Posix", "TLS", "Whisper", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
