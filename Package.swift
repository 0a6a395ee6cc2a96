// swift-tools-version: 6.2
// SPDX-License-Identifier: Apache-2.0
//
// eni-agent: module layout follows docs/design.md §2. Only `Netlink` imports
// `CNetlink` and only `Systemd` imports `CSystemd`; `Reconcile` sees values only.

import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "eni-agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eni-agent", targets: ["eni-agent"]),
        .executable(name: "imds-sim", targets: ["imds-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // No traits: the default JSON trait (and YAML) link full Foundation + ICU, +46 MB and
        // +8 MiB RSS (docs/design.md §6a). The environment-file provider needs none of them.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: []),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // C libraries, seen only through their Swift wrappers.
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"]), .yum(["libnl3-devel"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"]), .yum(["systemd-devel"])]
        ),

        // glibc > 2.28 symbols the static Swift runtime and libstdc++ take, implemented here so
        // that the release binary runs on glibc 2.28 (README.md, "Where it runs"). Linked into
        // both executables (no module imports it); its symbols are hidden, never exported.
        .target(name: "CGlibcCompat"),

        // Plain values shared by every module; imports nothing.
        .target(name: "Model", swiftSettings: strict),

        .target(name: "Netlink", dependencies: ["CNetlink", "Model"], swiftSettings: strict),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "Metadata",
            dependencies: [
                "Model",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Reconcile", dependencies: ["Model"], swiftSettings: strict),
        // The metrics and their text exposition format (node_exporter's textfile collector):
        // plain values, no clock, no I/O; the Agent feeds it and writes the file.
        .target(name: "Monitoring", swiftSettings: strict),
        .target(
            name: "Agent",
            dependencies: [
                "Model", "Netlink", "Metadata", "Reconcile", "Systemd", "Monitoring",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Configuration: the keys, the environment file, durations, the loader. A library so that
        // the fuzz target and the unit tests reach what the executable uses.
        .target(
            name: "Settings",
            dependencies: [
                "Agent", "Metadata", "Reconcile", "Systemd",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "eni-agent",
            dependencies: [
                "Agent", "Model", "Metadata", "Reconcile", "Settings", "Systemd", "CGlibcCompat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The IMDS simulator shares no code with `Metadata`: a bug in shared parsing would pass
        // every test.
        .target(
            name: "IMDSSim",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "imds-sim",
            dependencies: [
                "IMDSSim", "CGlibcCompat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .testTarget(
            name: "ModelTests",
            dependencies: ["Model", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "Model", "TestSupport"]),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "MetadataTests",
            dependencies: ["Metadata", "Model", "IMDSSim", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "MonitoringTests",
            dependencies: ["Monitoring", "Agent", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(name: "IMDSSimTests", dependencies: ["IMDSSim", "imds-sim"]),
        .testTarget(
            name: "ReconcileTests",
            dependencies: [
                "Reconcile", "Model", .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // The sync cycle and the daemon loop against in-memory fakes of the kernel, the
        // metadata service and systemd: no root, no namespaces, seconds.
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "Model", "Metadata", "Netlink", "Reconcile", "eni-agent",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // Every reader of outside input on its own: configuration, durations, the state file,
        // and the fuzz corpus replayed.
        .testTarget(
            name: "InputTests",
            dependencies: [
                "Settings", "Agent", "Metadata", "Model", "Reconcile", "FuzzTargets",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // The fuzz targets (Tests/Fuzz/FuzzTargets) and the libFuzzer binary that runs them
        // (scripts/fuzz builds it with --sanitize=fuzzer; plainly built it replays inputs).
        .target(
            name: "FuzzTargets",
            dependencies: ["Settings", "Agent", "Metadata", "Model", "Reconcile"],
            path: "Tests/Fuzz/FuzzTargets"
        ),
        .executableTarget(name: "eni-agent-fuzz", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/Driver"),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Model", "TestSupport", "eni-agent", "imds-sim"]
        ),
        .testTarget(name: "GlibcCompatTests", dependencies: ["CGlibcCompat", "CGlibcCompatProbes"]),
        // Namespaces, links and processes for the root integration tests; tests only. Regular
        // targets, so `swift build` compiles them too, also with --static-swift-stdlib, whose
        // SDK has no Testing module: TestSupport imports it only `#if canImport(Testing)`.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .target(name: "CGlibcCompatProbes", dependencies: ["CGlibcCompat"], path: "Tests/CGlibcCompatProbes"),
    ]
)
