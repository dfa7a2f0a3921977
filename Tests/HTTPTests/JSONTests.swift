import Foundation
import Testing
import TestSupport

@testable import HTTP

@Suite struct JSONTests {
    @Test func stringsEscapeMarkupCharacters() {
        let text = JSON.object(["name": .string("<script>&\"\\\n\u{1}é")]).text
        #expect(text == #"{"name":"\u003cscript\u003e\u0026\"\\\n\u0001é"}"#)
        // Foundation reads back the same string.
        let back = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(back?["name"] == "<script>&\"\\\n\u{1}é")
    }

    @Test func numbersPrintIntegersWithoutFractionAndNonFiniteAsNull() {
        #expect(JSON.array([3, .number(2.5), .number(.nan), .number(-.infinity), .number(1e20)]).text == "[3,2.5,null,null,1e+20]")
    }

    @Test(arguments: [
        (#"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"\u00e9\ud83d\ude00"}}"#, true),
        ("{}", true), ("[]", true), (#""x""#, true), ("01", false), ("{", false), (#"{"a":1,}"#, false),
        ("[1 2]", false), (#""\x""#, false), ("tru", false), ("1.", false), ("-", false), ("\"\u{1}\"", false),
        (#""\u+041""#, false), (#""\u-041""#, false), (#""\u00E9""#, true),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), false),
    ])
    func parserAcceptsExactlyValidJSON(text: String, valid: Bool) {
        #expect((JSON.parse(Array(text.utf8)) != nil) == valid, "\(text)")
        let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
        if valid { #expect(foundation, "Foundation cannot read \(text)") }
    }

    @Test func parsedValuesMatchFoundation() {
        let text = #"{"a":[1,2.5,-300,true,null],"b":{"c":"é😀"}}"#
        #expect(JSON.parse(Array(text.utf8)) == .object(["a": [1, .number(2.5), .number(-300), true, nil], "b": ["c": "é😀"]]))
    }

    /// Seeded random edits of valid documents and form bodies: parsed or refused, never a trap.
    @Test func mutatedDocumentsAndFormsNeverTrap() {
        let documents = [#"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"\u00e9\ud83d\ude00"}}"#, "target=a.b&from=-1h&x=%41%2", "a=%zz&b=%%&=&&c"]
        let parsed = acceptedMutations(of: documents, alphabet: "-+0123456789.eE{}[]\",:\\u tfnrl%&=\u{0}é", count: 50_000, seed: 11) { bytes in
            _ = FormDecoding.decode(String(decoding: bytes, as: UTF8.self))
            return JSON.parse(bytes) != nil
        }
        #expect(parsed > 1_000 && parsed < 45_000, "\(parsed) of 50,000 parsed")
    }
}
