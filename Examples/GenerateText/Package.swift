// swift-tools-version:6.0
import PackageDescription

/// An app that uses Switchyard the way any package would: by git URL and version. The URL is a
/// tagged local clone that scripts/example.sh makes (SwiftPM treats a `file://` URL with a version
/// requirement exactly like a remote one, so the library must build as a versioned dependency:
/// no unsafe flags); SWITCHYARD_GIT_URL points it elsewhere, e.g. at the project's public repository.
let url = Context.environment["SWITCHYARD_GIT_URL"] ?? "file://\(Context.packageDirectory)/.release/switchyard.git"

let package = Package(
    name: "GenerateText",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: url, from: "0.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "GenerateText",
            dependencies: [
                .product(name: "Switchyard", package: "switchyard"),
                .product(name: "SwitchyardModels", package: "switchyard"),
                .product(name: "SwitchyardBLAS", package: "switchyard"),
                .product(name: "SwitchyardReference", package: "switchyard"),
            ]),
    ]
)
