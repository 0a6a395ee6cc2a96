// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Tests may use Foundation; the module under test must not.
enum JSONEncoderShim {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
