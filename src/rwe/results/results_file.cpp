#include "rwe/results/results_file.hpp"

namespace rwe::results {

namespace {

// An analysis entry with its result still JSON: read first, for the kind.
struct EntryHead {
    std::string id;
    std::string kind;
    std::optional<std::string> title;
    std::optional<json> figure;
    std::optional<json> published;
    std::optional<std::vector<PublishedComparisonRow>> comparison;
    json result;
    template <class V> void fields(V& v) {
        v("id", id);
        v("kind", kind);
        v("title", title);
        v("figure", figure);
        v("published", published);
        v("comparison", comparison);
        v("result", result);
    }
};

}  // namespace

AnalysisEntry AnalysisEntry::decode_from(const json& in, const std::string& pointer) {
    const auto head = decoded<EntryHead>(in, pointer);
    if (!head.result.is_object()) throw DecodeError(pointer + "/result", "expected an object (" + codec::text_of(head.result) + ")");
    return {head.id, head.kind, head.title, head.figure, head.published, head.comparison,
            decode_result(head.kind, head.result, pointer + "/result")};
}

json AnalysisEntry::encode_to() const {
    if (kind != kind_of(result)) throw Error(ErrorKind::internal, "analysis " + id + " of kind " + kind + " with a result of kind " + kind_of(result));
    EntryHead head{id, kind, title, figure, published, comparison, encode_result(result)};
    return encode(head);
}

}  // namespace rwe::results
