#include "rwe/synth/profile.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "rwe/common/error.hpp"
#include "rwe/synth/civil_date.hpp"

namespace rwe::synth {

namespace {

namespace fs = std::filesystem;

std::string show(const toml::node& node) {
    std::ostringstream out;
    if (auto s = node.value<std::string>()) return *s;
    node.visit([&](const auto& value) { out << value; });
    std::string text = out.str();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

// One table of the profile: keys are read through it, and done() rejects any key that was
// not read, so that nothing in the file is silently ignored.
class Section {
public:
    Section(const std::string& source, const toml::table& table, std::string context)
        : source_(source), table_(table), context_(std::move(context)) {}

    [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& problem) const {
        throw InputError(source_, node.source().begin.line, context_ + key, problem, show(node));
    }
    [[noreturn]] void fail_here(const std::string& key, const std::string& problem) const {
        std::string where = context_ + key;
        if (!where.empty() && where.back() == '.') where.pop_back();
        throw InputError(source_, table_.source().begin.line, where, problem, "");
    }

    const toml::node* get(const std::string& key) {
        used_.insert(key);
        return table_.get(key);
    }
    const toml::node& need(const std::string& key) {
        const toml::node* node = get(key);
        if (node == nullptr) fail_here(key, "required key missing");
        return *node;
    }
    bool has(const std::string& key) const { return table_.contains(key); }

    double number(const toml::node& node, const std::string& key) const {
        if (auto v = node.value_exact<double>()) return *v;
        if (auto v = node.value_exact<std::int64_t>()) return static_cast<double>(*v);
        fail(node, key, "expected a number");
    }
    double number(const std::string& key) { return number(need(key), key); }
    double number(const std::string& key, double fallback) {
        const toml::node* node = get(key);
        return node ? number(*node, key) : fallback;
    }
    double positive(const std::string& key) {
        const double v = number(key);
        if (!(v > 0)) fail(need(key), key, "must be > 0");
        return v;
    }
    // A probability: a number in [0, 1] or [count, of] (count / of, as a double division).
    double share(const toml::node& node, const std::string& key) const {
        double value = 0;
        if (auto* array = node.as_array()) {
            if (array->size() != 2) fail(node, key, "expected a number or [count, of]");
            const double count = number(*array->get(0), key), of = number(*array->get(1), key);
            if (!(of > 0)) fail(node, key, "the denominator must be > 0");
            value = count / of;
        } else {
            value = number(node, key);
        }
        if (!(value >= 0 && value <= 1)) fail(node, key, "a share must lie in [0, 1]");
        return value;
    }
    double share(const std::string& key) { return share(need(key), key); }
    double share(const std::string& key, double fallback) {
        const toml::node* node = get(key);
        return node ? share(*node, key) : fallback;
    }
    std::int64_t integer(const toml::node& node, const std::string& key) const {
        if (auto v = node.value_exact<std::int64_t>()) return *v;
        fail(node, key, "expected an integer");
    }
    int integer(const std::string& key, int fallback) {
        const toml::node* node = get(key);
        if (!node) return fallback;
        const std::int64_t v = integer(*node, key);
        if (v < -100000000 || v > 100000000) fail(*node, key, "out of range");
        return static_cast<int>(v);
    }
    int integer(const std::string& key) {
        need(key);
        return integer(key, 0);
    }
    std::string text(const toml::node& node, const std::string& key) const {
        if (auto v = node.value_exact<std::string>()) {
            if (v->empty()) fail(node, key, "must not be empty");
            return *v;
        }
        fail(node, key, "expected a string");
    }
    std::string text(const std::string& key) { return text(need(key), key); }
    std::string text(const std::string& key, const std::string& fallback) {
        const toml::node* node = get(key);
        return node ? text(*node, key) : fallback;
    }
    const toml::array& array(const toml::node& node, const std::string& key) const {
        if (auto* a = node.as_array()) return *a;
        fail(node, key, "expected an array");
    }
    std::vector<std::string> texts(const std::string& key) {
        std::vector<std::string> out;
        const toml::node& node = need(key);
        for (const auto& item : array(node, key)) out.push_back(text(item, key));
        if (out.empty()) fail(node, key, "must not be empty");
        return out;
    }
    std::vector<double> weights(const toml::node& node, const std::string& key) const {
        std::vector<double> out;
        for (const auto& item : array(node, key)) {
            out.push_back(number(item, key));
            if (!(out.back() >= 0)) fail(item, key, "a weight must be >= 0");
        }
        double total = 0;
        for (double w : out) total += w;
        if (out.empty() || !(total > 0)) fail(node, key, "weights must not be empty and must sum to more than 0");
        return out;
    }
    std::vector<double> weights(const std::string& key) { return weights(need(key), key); }
    DayRange range(const toml::node& node, const std::string& key) const {
        const toml::array& a = array(node, key);
        if (a.size() != 2) fail(node, key, "expected [low, high]");
        DayRange r{static_cast<int>(integer(*a.get(0), key)), static_cast<int>(integer(*a.get(1), key))};
        if (r.low > r.high || r.low < -1000000 || r.high > 1000000) fail(node, key, "expected low <= high");
        return r;
    }
    DayRange range(const std::string& key) { return range(need(key), key); }
    DayRange range(const std::string& key, DayRange fallback) {
        const toml::node* node = get(key);
        return node ? range(*node, key) : fallback;
    }
    int date(const toml::node& node, const std::string& key) const {
        if (auto d = node.value<toml::date>()) {
            if (d->year < 1900 || d->year > 2099) fail(node, key, "a date in 1900-2099 expected");
            return day_number({d->year, d->month, d->day});
        }
        fail(node, key, "expected a date (YYYY-MM-DD, unquoted)");
    }
    int date(const std::string& key) { return date(need(key), key); }
    const toml::table& table(const toml::node& node, const std::string& key) const {
        if (auto* t = node.as_table()) return *t;
        fail(node, key, "expected a table");
    }
    Section sub(const std::string& key) {
        const toml::node& node = need(key);
        return Section(source_, table(node, key), context_ + key + ".");
    }
    Section sub(const toml::node& node, const std::string& key) const {
        return Section(source_, table(node, key), context_ + key + ".");
    }
    // Array of tables (or of inline tables).
    std::vector<Section> tables(const std::string& key, bool required = false) {
        std::vector<Section> out;
        const toml::node* node = required ? &need(key) : get(key);
        if (!node) return out;
        const toml::array& a = array(*node, key);
        for (std::size_t i = 0; i < a.size(); ++i) {
            out.emplace_back(source_, table(*a.get(i), key), context_ + key + "[" + std::to_string(i + 1) + "].");
        }
        return out;
    }

    Choice<std::string> choice(const toml::node& node, const std::string& key) const {
        Choice<std::string> c;
        if (node.is_string()) {
            c.fixed = text(node, key);
            return c;
        }
        Section t = sub(node, key);
        if (t.has("p")) {
            c.kind = Choice<std::string>::Kind::two_way;
            c.p = t.share("p");
            c.yes = t.text("yes");
            c.no = t.text("no");
        } else {
            c.kind = Choice<std::string>::Kind::weighted;
            c.options = t.texts("values");
            c.weights = t.weights("weights");
            if (c.options.size() != c.weights.size()) t.fail_here("weights", "one weight per value expected");
        }
        t.done();
        return c;
    }
    Choice<std::string> choice(const std::string& key) { return choice(need(key), key); }

    const toml::node* node_of(const std::string& key) const { return table_.get(key); }
    const std::string& context() const { return context_; }
    const std::string& source() const { return source_; }
    const toml::table& raw() const { return table_; }

    void done() const {
        for (const auto& [key, node] : table_) {
            const std::string name(key.str());
            if (!used_.count(name)) fail(node, name, "unknown key");
        }
    }

private:
    const std::string& source_;
    const toml::table& table_;
    std::string context_;
    std::set<std::string> used_;
};

Choice<std::string> none_action() {
    Choice<std::string> c;
    c.fixed = "none";
    return c;
}

std::string format_number(const toml::node& node, const Section& s, const std::string& key) {
    if (auto v = node.value_exact<std::int64_t>()) {
        if (*v <= 0) s.fail(node, key, "a dose must be > 0");
        return std::to_string(*v);
    }
    const double d = s.number(node, key);
    if (!(d > 0)) s.fail(node, key, "a dose must be > 0");
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
    return std::string(buffer, result.ptr);
}

class Loader {
public:
    explicit Loader(Profile& profile) : p_(profile) {}

    void load(const toml::table& root) {
        Section top(p_.source, root, "");
        read_profile(top.sub("profile"));
        read_calendar(top.sub("calendar"));
        read_patient(top.sub("patient"));
        for (Section& f : top.tables("field")) read_field(f);
        for (Section& c : top.tables("characteristic")) {
            Characteristic ch;
            ch.name = c.text("name");
            for (const auto& other : p_.characteristics) {
                if (other.name == ch.name) c.fail(c.need("name"), "name", "characteristic named twice");
            }
            ch.root = read_node(c);
            p_.characteristics.push_back(std::move(ch));
        }
        // Regimens first: later sections refer to them by id.
        {
            Section regimens = top.sub("regimen");
            for (const auto& [key, node] : regimens.raw()) {
                Section r = regimens.sub(std::string(key.str()));
                read_regimen(std::string(key.str()), r);
            }
            regimens.done();
        }
        // The adjuvant model has its own timeline: sections of the metastatic one are
        // rejected rather than ignored.
        const bool adjuvant = top.has("adjuvant");
        for (const char* key : {"tumor", "relapse", "adverse_events"}) {
            if (adjuvant && top.has(key)) top.fail(top.need(key), key, "not used by the [adjuvant] model");
        }
        if (!adjuvant) read_tumor(top.sub("tumor"));
        if (top.has("relapse")) read_relapse(top.sub("relapse"));
        else if (p_.de_novo < 1) top.fail_here("relapse", "required when de_novo < 1");
        read_sites(top.sub("sites"), adjuvant);
        if (adjuvant) {
            if (top.has("index")) top.fail(top.need("index"), "index", "a profile has [index] or [adjuvant], not both");
            read_adjuvant(top.sub("adjuvant"));
        } else {
            read_index(top.sub("index"));
        }
        read_after(top.sub("after_progression"));
        if (top.has("adverse_events")) read_adverse_events(top.sub("adverse_events"));
        for (Section& e : top.tables("exclusion")) read_exclusion(e);
        for (Section& t : top.tables("target")) read_target(t);
        top.done();
    }

private:
    Profile& p_;

    int regimen_index(const Section& s, const toml::node& node, const std::string& key) const {
        const std::string id = s.text(node, key);
        for (std::size_t i = 0; i < p_.regimens.size(); ++i) {
            if (p_.regimens[i].id == id) return static_cast<int>(i);
        }
        s.fail(node, key, "no [regimen." + id + "] in the profile");
    }
    int regimen_index(Section& s, const std::string& key) { return regimen_index(s, s.need(key), key); }

    Choice<int> regimen_choice(Section& s, const std::string& key) {
        const toml::node& node = s.need(key);
        const Choice<std::string> names = s.choice(node, key);
        Choice<int> c;
        auto index = [&](const std::string& id) {
            for (std::size_t i = 0; i < p_.regimens.size(); ++i) {
                if (p_.regimens[i].id == id) return static_cast<int>(i);
            }
            s.fail(node, key, "no [regimen." + id + "] in the profile");
        };
        c.kind = static_cast<Choice<int>::Kind>(static_cast<int>(names.kind));
        c.p = names.p;
        c.weights = names.weights;
        switch (names.kind) {
            case Choice<std::string>::Kind::fixed: c.fixed = index(names.fixed); break;
            case Choice<std::string>::Kind::two_way: c.yes = index(names.yes); c.no = index(names.no); break;
            case Choice<std::string>::Kind::weighted:
                for (const auto& id : names.options) c.options.push_back(index(id));
                break;
        }
        return c;
    }

    int field_index(const Section& s, const toml::node& node, const std::string& key, const std::string& name) const {
        for (std::size_t i = 0; i < p_.fields.size(); ++i) {
            if (p_.fields[i].name == name) return static_cast<int>(i);
        }
        s.fail(node, key, "no [[field]] named " + name);
    }

    FieldValue field_value(const Section& s, const toml::node& node, const std::string& key, const Field& field) const {
        FieldValue v;
        v.present = true;
        if (auto text = node.value_exact<std::string>()) {
            if (text->empty() || text->find_first_of(",\"\r\n") != std::string::npos) {
                s.fail(node, key, "a code must be non-empty, without comma, quote or line break");
            }
            v.code = *text;
            return v;
        }
        const double number = s.number(node, key);
        if (!(number >= 0)) s.fail(node, key, "a number must be >= 0");
        v.numeric = true;
        v.units = std::llround(number * std::pow(10.0, field.decimals));
        return v;
    }

    void read_profile(Section s) {
        p_.name = s.text("name");
        p_.title = s.text("title");
        if (s.has("references")) p_.references = s.texts("references");
        p_.excluded_per_eligible = s.integer("excluded_per_eligible", 10);
        if (p_.excluded_per_eligible < 0) s.fail(s.need("excluded_per_eligible"), "excluded_per_eligible", "must be >= 0");
        s.done();
    }

    void read_calendar(Section s) {
        const toml::node& accrual = s.need("accrual");
        const toml::array& a = s.array(accrual, "accrual");
        if (a.size() != 2) s.fail(accrual, "accrual", "expected [first date, last date]");
        p_.accrual_first_day = s.date(*a.get(0), "accrual");
        p_.accrual_last_day = s.date(*a.get(1), "accrual");
        if (p_.accrual_first_day > p_.accrual_last_day) s.fail(accrual, "accrual", "first date after last date");
        p_.accrual_growth = s.number("accrual_growth");
        if (p_.accrual_growth == 0) s.fail(s.need("accrual_growth"), "accrual_growth", "must not be 0 (use a small number for uniform accrual)");
        p_.cutoff_day = s.date("cutoff");
        if (p_.cutoff_day < p_.accrual_last_day) s.fail(s.need("cutoff"), "cutoff", "before the end of accrual");
        p_.last_contact_gap_days = s.integer("last_contact_gap_days");
        if (p_.last_contact_gap_days < 0) s.fail(s.need("last_contact_gap_days"), "last_contact_gap_days", "must be >= 0");
        s.done();
    }

    void read_patient(Section s) {
        p_.sex = s.choice("sex");
        auto check_sex = [&](const std::string& code) {
            if (code != "f" && code != "m") s.fail(s.need("sex"), "sex", "codes are f and m");
        };
        check_sex(p_.sex.fixed.empty() ? "f" : p_.sex.fixed);
        if (p_.sex.kind == Choice<std::string>::Kind::two_way) check_sex(p_.sex.yes), check_sex(p_.sex.no);
        for (const auto& code : p_.sex.options) check_sex(code);
        const toml::node& edges = s.need("age_edges");
        for (const auto& item : s.array(edges, "age_edges")) p_.age_edges.push_back(static_cast<int>(s.integer(item, "age_edges")));
        p_.age_weights = s.weights("age_weights");
        if (p_.age_edges.size() != p_.age_weights.size() + 1) s.fail(edges, "age_edges", "one more edge than weights expected");
        for (std::size_t i = 0; i + 1 < p_.age_edges.size(); ++i) {
            if (p_.age_edges[i] >= p_.age_edges[i + 1] || p_.age_edges[i] < 18 || p_.age_edges[i + 1] > 111) {
                s.fail(edges, "age_edges", "ages must increase, from 18 to 110");
            }
        }
        if (s.has("menopause")) {
            Section m = s.sub("menopause");
            p_.has_menopause = true;
            p_.menopause_unknown = m.share("unknown");
            p_.menopause_pre_given_known = m.share("pre_among_known");
            p_.menopause_slope_years = m.positive("slope_years");
            m.done();
        }
        s.done();
    }

    void read_field(Section& s) {
        Field f;
        f.name = s.text("name");
        for (const auto& other : p_.fields) {
            if (other.name == f.name) s.fail(s.need("name"), "name", "field named twice");
        }
        const std::string write = s.text("write");
        f.decimals = s.integer("decimals", 0);
        if (f.decimals < 0 || f.decimals > 3) s.fail(s.need("decimals"), "decimals", "0 to 3");
        if (write == "tumor") {
            static const std::set<std::string> columns{"primary_site", "histology", "er", "pr", "her2_ihc", "her2_ish_ratio"};
            if (!columns.count(f.name)) s.fail(s.need("name"), "name", "not a tumors.csv column a profile may write");
            f.target = Field::Target::tumor;
        } else if (write == "biomarker") {
            f.target = Field::Target::biomarker;
            f.marker = s.text("marker");
            if (s.has("method")) {
                f.has_method = true;
                f.method = s.choice("method");
            }
            f.unit = s.text("unit", "");
        } else if (write == "observation") {
            f.target = Field::Target::observation;
            f.unit = s.text("unit", "");
            f.days_before_index = s.range("days_before_index", {0, 0});
        } else {
            s.fail(s.need("write"), "write", "one of tumor, biomarker, observation");
        }
        if (const toml::node* node = s.get("default")) f.fallback = field_value(s, *node, "default", f);
        s.done();
        p_.fields.push_back(std::move(f));
    }

    Node read_node(Section& s) {
        Node n;
        if (s.has("set")) {
            Section set = s.sub("set");
            for (const auto& [key, node] : set.raw()) {
                const std::string name(key.str());
                set.get(name);
                const int field = field_index(set, node, name, name);
                n.set.emplace_back(field, field_value(set, node, name, p_.fields[field]));
            }
            set.done();
        }
        if (s.has("draw")) {
            Section d = s.sub("draw");
            NumberDraw draw;
            const toml::node& fnode = d.need("field");
            draw.field = field_index(d, fnode, "field", d.text(fnode, "field"));
            const double scale = std::pow(10.0, p_.fields[draw.field].decimals);
            if (d.has("between")) {
                const toml::node& b = d.need("between");
                const toml::array& a = d.array(b, "between");
                if (a.size() != 2) d.fail(b, "between", "expected [low, high]");
                draw.exponential = false;
                draw.low = std::llround(d.number(*a.get(0), "between") * scale);
                draw.high = std::llround(d.number(*a.get(1), "between") * scale);
                if (draw.low > draw.high || draw.low < 0) d.fail(b, "between", "expected 0 <= low <= high");
            } else {
                draw.from = std::llround(d.number("from") * scale);
                draw.mean = d.positive("exponential_mean") * scale;
                draw.at_most = std::llround(d.number("at_most") * scale);
                if (draw.from < 0 || draw.at_most < draw.from) d.fail(d.need("at_most"), "at_most", "expected 0 <= from <= at_most");
            }
            d.done();
            n.draw.push_back(draw);
        }
        int branches = 0;
        if (s.has("p")) {
            ++branches;
            n.branch = Node::Branch::two_way;
            n.p = s.share("p");
            for (const char* key : {"yes", "no"}) {
                if (s.has(key)) {
                    Section child = s.sub(key);
                    n.children.push_back(read_node(child));
                    n.has_child.push_back(true);
                } else {
                    n.children.emplace_back();
                    n.has_child.push_back(false);
                }
            }
            if (!n.has_child[0] && !n.has_child[1]) s.fail_here("p", "needs yes or no (or both)");
        }
        if (s.has("options")) {
            ++branches;
            n.branch = Node::Branch::weighted;
            n.weights = s.weights("weights");
            for (Section& child : s.tables("options", true)) n.children.push_back(read_node(child));
            if (n.children.size() != n.weights.size()) s.fail(s.need("options"), "options", "one option per weight expected");
        }
        if (s.has("alternate")) {
            ++branches;
            n.branch = Node::Branch::alternate;
            for (Section& child : s.tables("alternate", true)) n.children.push_back(read_node(child));
            if (n.children.empty()) s.fail(s.need("alternate"), "alternate", "must not be empty");
        }
        if (branches > 1) s.fail_here("p", "a node has one of p, options, alternate");
        if (s.has("then")) {
            Section then = s.sub("then");
            n.then.push_back(read_node(then));
        }
        s.done();
        return n;
    }

    void read_regimen(const std::string& id, Section& s) {
        Regimen r;
        r.id = id;
        r.code = s.text("code");
        if (r.code.find_first_of(",\"\r\n") != std::string::npos) s.fail(s.need("code"), "code", "no comma, quote or line break");
        r.period_days = s.integer("period_days", 21);
        if (r.period_days < 1) s.fail(s.need("period_days"), "period_days", "must be >= 1");
        if (const toml::node* node = s.get("cycles")) {
            if (node->is_array()) r.cycles = s.range(*node, "cycles");
            else r.cycles.low = r.cycles.high = static_cast<int>(s.integer(*node, "cycles"));
            if (r.cycles.low < 1) s.fail(*node, "cycles", "must be >= 1");
        }
        for (Section& d : s.tables("drugs", true)) {
            Drug drug;
            drug.name = d.text("drug");
            if (const toml::node* dose = d.get("dose")) {
                drug.dose = format_number(*dose, d, "dose");
                drug.unit = d.text("unit");
                static const std::set<std::string> units{"mg", "mg/kg", "mg/m2"};
                if (!units.count(drug.unit)) d.fail(d.need("unit"), "unit", "one of mg, mg/kg, mg/m2");
                const toml::node* first = d.get("first_dose");
                drug.first_dose = first ? format_number(*first, d, "first_dose") : drug.dose;
                if (const toml::node* reduced = d.get("reduced_dose")) drug.reduced_dose = format_number(*reduced, d, "reduced_dose");
            }
            if (const toml::node* cycles = d.get("cycles")) {
                const DayRange c = d.range(*cycles, "cycles");
                if (c.low < 1) d.fail(*cycles, "cycles", "cycles are numbered from 1");
                drug.from_cycle = c.low - 1;
                drug.to_cycle = c.high;
            }
            if (const toml::node* limited = d.get("limited")) {
                if (!limited->is_boolean()) d.fail(*limited, "limited", "expected true or false");
                drug.limited = *limited->value<bool>();
            }
            d.done();
            r.drugs.push_back(std::move(drug));
        }
        if (r.drugs.empty()) s.fail_here("drugs", "must not be empty");
        s.done();
        p_.regimens.push_back(std::move(r));
    }

    void read_tumor(Section s) {
        p_.de_novo = s.share("de_novo");
        p_.de_novo_diagnosis_earlier = s.share("de_novo_diagnosis_earlier", 0);
        p_.de_novo_diagnosis_days = s.range("de_novo_diagnosis_days", {1, 30});
        p_.metastasis_before_index = s.range("metastasis_days_before_index");
        if (p_.metastasis_before_index.low < 0) s.fail(s.need("metastasis_days_before_index"), "metastasis_days_before_index", "must be >= 0");
        s.done();
    }

    void read_relapse(Section s) {
        if (s.has("prior_exposure_drugs")) p_.prior_exposure_drugs = s.texts("prior_exposure_drugs");
        {
            Section d = s.sub("disease_free_interval");
            const toml::node& bands = d.need("bands");
            for (const auto& band : d.array(bands, "bands")) {
                const toml::array& pair = d.array(band, "bands");
                if (pair.size() != 2) d.fail(band, "bands", "expected [[low, high], ...] in months");
                const double low = d.number(*pair.get(0), "bands"), high = d.number(*pair.get(1), "bands");
                if (!(low >= 0 && low < high)) d.fail(band, "bands", "expected 0 <= low < high");
                p_.dfi_bands.emplace_back(low, high);
            }
            p_.dfi_weights = d.weights("weights");
            if (p_.dfi_weights.size() != p_.dfi_bands.size() + 1) d.fail(d.need("weights"), "weights", "one weight per band and one for the tail expected");
            p_.dfi_tail_from = d.number("tail_from");
            p_.dfi_tail_mean = d.positive("tail_mean");
            p_.dfi_max = d.positive("max");
            d.done();
        }
        for (Section& h : s.tables("history", true)) {
            History history;
            history.weight = h.number("weight");
            if (!(history.weight >= 0)) h.fail(h.need("weight"), "weight", "must be >= 0");
            if (const toml::node* surgery = h.get("surgery")) {
                if (!surgery->is_boolean()) h.fail(*surgery, "surgery", "expected true or false");
                history.surgery = *surgery->value<bool>();
            }
            if (h.has("neoadjuvant")) {
                history.neoadjuvant = regimen_index(h, "neoadjuvant");
                if (history.surgery) history.surgery_after_neoadjuvant = h.range("surgery_days_after_neoadjuvant");
                else history.neoadjuvant_before_metastasis = h.range("neoadjuvant_days_before_metastasis");
            }
            history.diagnosis_before = h.range("diagnosis_days_before");
            history.stage = h.choice("stage");
            if (h.has("adjuvant")) {
                if (!history.surgery) h.fail(h.need("adjuvant"), "adjuvant", "adjuvant therapy needs surgery = true");
                const toml::node& node = h.need("adjuvant");
                if (node.is_table()) {
                    Section a = h.sub("adjuvant");
                    history.adjuvant_premenopausal = regimen_index(a, "premenopausal");
                    history.adjuvant = regimen_index(a, "otherwise");
                    a.done();
                } else {
                    history.adjuvant = regimen_index(h, "adjuvant");
                }
                history.adjuvant_after_surgery = h.range("adjuvant_days_after_surgery");
            }
            h.done();
            p_.histories.push_back(std::move(history));
        }
        s.done();
    }

    SiteGroup site_group(Section& s, bool with_p) {
        SiteGroup g;
        if (with_p) g.p = s.share("p");
        g.sites = s.texts("sites");
        if (g.sites.size() > 1 || s.has("weights")) {
            g.weights = s.weights("weights");
            if (g.weights.size() != g.sites.size()) s.fail(s.need("weights"), "weights", "one weight per site expected");
        }
        g.second = s.share("second", 0);
        static const std::set<std::string> codes{"lung", "liver", "pleura", "peritoneum", "adrenal", "other_visceral", "bone", "brain", "distant_lymph_node", "skin_soft_tissue", "other"};
        for (const auto& site : g.sites) {
            if (!codes.count(site)) s.fail(s.need("sites"), "sites", "not a site code of the registry format (" + site + ")");
        }
        return g;
    }

    void read_sites(Section s, bool adjuvant) {
        if (adjuvant && s.has("at_progression")) s.fail(s.need("at_progression"), "at_progression", "not used by the [adjuvant] model");
        for (Section& g : s.tables("group", true)) {
            p_.site_groups.push_back(site_group(g, true));
            g.done();
        }
        {
            Section o = s.sub("otherwise");
            p_.site_otherwise = site_group(o, false);
            o.done();
        }
        if (s.has("added")) {
            Section a = s.sub("added");
            p_.site_added_p = a.share("p");
            p_.site_added = a.text("site");
            a.done();
        }
        if (s.has("at_progression")) {
            Section a = s.sub("at_progression");
            p_.site_at_progression = site_group(a, true);
            a.done();
        }
        s.done();
    }

    void read_index(Section s) {
        const std::string setting = s.text("setting", "palliative");
        if (setting != "palliative") s.fail(s.need("setting"), "setting", "only palliative index lines are modelled");
        p_.index_period_days = s.integer("period_days", 21);
        if (p_.index_period_days < 1) s.fail(s.need("period_days"), "period_days", "must be >= 1");
        p_.max_cycles = s.integer("max_cycles", no_limit);
        p_.measurable = s.share("measurable");
        p_.first_assessment_days = s.range("first_assessment_days");
        p_.assessment_interval_days = s.integer("assessment_interval_days");
        p_.assessment_jitter_days = s.integer("assessment_jitter_days", 0);
        if (p_.assessment_interval_days <= p_.assessment_jitter_days) s.fail(s.need("assessment_interval_days"), "assessment_interval_days", "must exceed the jitter");
        p_.clinical_progression = s.share("clinical_progression", 0);
        p_.early_stop = s.share("early_stop", 0);
        if (p_.early_stop > 0) p_.early_stop_reason = s.choice("early_stop_reason");
        for (Section& r : s.tables("response", true)) {
            ResponseClass c;
            c.name = r.text("name");
            static const std::set<std::string> codes{"CR", "PR", "SD", "PD"};
            if (!codes.count(c.name)) r.fail(r.need("name"), "name", "one of CR, PR, SD, PD");
            c.pps_hr = r.positive("pps_hr");
            if (r.has("progression_days")) {
                c.early_progression = true;
                c.progression_days = r.range("progression_days");
            } else {
                c.pfs_hr = r.positive("pfs_hr");
            }
            if (r.has("first_of_several")) {
                Section f = r.sub("first_of_several");
                c.first_of_several_p = f.share("p");
                c.first_of_several = f.text("response");
                f.done();
            }
            r.done();
            p_.responses.push_back(std::move(c));
        }
        if (s.has("limited_cycles")) {
            Section l = s.sub("limited_cycles");
            p_.has_limited = true;
            p_.limited_max = l.integer("max");
            p_.many_cycles_from = l.integer("many_from", no_limit);
            if (p_.limited_max < 1 || p_.limited_max > 200) l.fail(l.need("max"), "max", "1 to 200");
            for (Section& g : l.tables("segments", true)) {
                LimitedSegment seg;
                const DayRange c = g.range("cycles");
                seg.from = c.low;
                seg.to = c.high;
                if (seg.from < 1 || seg.to > p_.limited_max) g.fail(g.need("cycles"), "cycles", "within 1 and max");
                if (g.has("ratio")) seg.ratio = g.positive("ratio");
                else {
                    seg.weights = g.weights("weights");
                    if (static_cast<int>(seg.weights.size()) != seg.to - seg.from + 1) g.fail(g.need("weights"), "weights", "one weight per cycle count expected");
                }
                const toml::node& share = g.need("share");
                if (auto* a = share.as_array()) {
                    if (a->size() != 2) g.fail(share, "share", "expected a number or [count, of]");
                    seg.share_numerator = g.number(*a->get(0), "share");
                    seg.share_denominator = g.number(*a->get(1), "share");
                } else {
                    seg.share_numerator = g.share(share, "share");
                }
                g.done();
                p_.limited_segments.push_back(std::move(seg));
            }
            l.done();
        }
        {
            Section f = s.sub("pfs");
            p_.pfs_shape = f.positive("shape");
            p_.pfs_death_first = f.share("death_first", 0);
            p_.pfs_min_days = f.integer("min_days", 0);
            p_.pfs_after_limited_days = f.integer("after_limited_days", 0);
            f.done();
        }
        for (Section& e : s.tables("effect")) {
            Effect effect{};
            int kinds = 0;
            if (const toml::node* node = e.get("prior_exposure")) {
                if (!node->is_boolean() || !*node->value<bool>()) e.fail(*node, "prior_exposure", "expected true");
                effect.kind = Effect::Kind::prior_exposure;
                ++kinds;
            }
            if (e.has("limited_cycles_below")) {
                effect.kind = Effect::Kind::limited_cycles_below;
                effect.threshold = e.integer("limited_cycles_below");
                if (!p_.has_limited) e.fail(e.need("limited_cycles_below"), "limited_cycles_below", "the index line has no [index.limited_cycles]");
                ++kinds;
            }
            if (e.has("field")) {
                effect.kind = Effect::Kind::field_value;
                const toml::node& node = e.need("field");
                effect.field = field_index(e, node, "field", e.text(node, "field"));
                effect.value = field_value(e, e.need("value"), "value", p_.fields[effect.field]);
                ++kinds;
            }
            if (e.has("site")) {
                effect.kind = Effect::Kind::site_at_index;
                effect.site = e.text("site");
                bool found = false;
                for (const auto& g : p_.site_groups) {
                    found |= g.sites.size() == 1 && g.sites[0] == effect.site;
                }
                if (!found) e.fail(e.need("site"), "site", "must be a [[sites.group]] of that one site");
                ++kinds;
            }
            if (kinds != 1) e.fail_here("", "an effect has exactly one of prior_exposure, limited_cycles_below, field (with value), site");
            effect.pfs_hr = e.positive("pfs_hr");
            effect.pps_hr = e.positive("pps_hr");
            e.done();
            p_.effects.push_back(std::move(effect));
        }
        for (Section& a : s.tables("arm", true)) {
            Arm arm;
            arm.name = a.text("name");
            arm.weight = a.number("weight", 1);
            arm.regimen = regimen_index(a, "regimen");
            arm.response_weights = a.weights("response_weights");
            if (arm.response_weights.size() != p_.responses.size()) a.fail(a.need("response_weights"), "response_weights", "one weight per [[index.response]] expected");
            arm.pfs_median = a.positive("pfs_median");
            arm.pps_median = a.positive("pps_median");
            a.done();
            p_.arms.push_back(std::move(arm));
        }
        s.done();
    }

    void read_adjuvant(Section s) {
        p_.adjuvant_mode = true;
        p_.adjuvant_stage = s.choice("stage");
        p_.adjuvant_after_surgery = s.range("days_after_surgery");
        p_.adjuvant_diagnosis_before = s.range("diagnosis_days_before");
        if (s.has("neoadjuvant")) {
            Section n = s.sub("neoadjuvant");
            p_.neoadjuvant_p = n.share("p");
            p_.neoadjuvant_regimen = regimen_index(n, "regimen");
            if (p_.regimens[static_cast<std::size_t>(p_.neoadjuvant_regimen)].cycles.low == no_limit) {
                n.fail(n.need("regimen"), "regimen", "a neoadjuvant regimen needs planned cycles");
            }
            p_.neoadjuvant_surgery_after = n.range("surgery_days_after");
            n.done();
        }
        {
            Section d = s.sub("dfs");
            p_.dfs_months = d.positive("months");
            p_.dfs_share = d.share("share");
            if (p_.dfs_share <= 0 || p_.dfs_share >= 1) d.fail(d.need("share"), "share", "strictly between 0 and 1");
            p_.dfs_shape = d.positive("shape");
            p_.dfs_death_first = d.share("death_first", 0);
            if (d.has("stage_hr")) {
                Section h = d.sub("stage_hr");
                for (const auto& [key, node] : h.raw()) {
                    const std::string stage(key.str());
                    h.get(stage);
                    p_.stage_hr.emplace_back(stage, h.number(node, stage));
                    if (!(p_.stage_hr.back().second > 0)) h.fail(node, stage, "must be > 0");
                }
                h.done();
            }
            d.done();
        }
        p_.relapse_pps_median = s.positive("pps_median");
        for (Section& a : s.tables("arm", true)) {
            Arm arm;
            arm.name = a.text("name");
            arm.weight = a.number("weight", 1);
            arm.regimen = regimen_index(a, "regimen");
            a.done();
            p_.arms.push_back(std::move(arm));
        }
        s.done();
    }

    void read_after(Section s) {
        p_.next_line = s.share("next_line");
        p_.next_line_days = s.range("next_line_days");
        {
            Section n = s.sub("no_next_line");
            p_.no_next_line_median = n.positive("median");
            p_.no_next_line_shape = n.positive("shape");
            n.done();
        }
        p_.next_trial = s.share("trial", 0);
        p_.next_responds = s.share("responds");
        p_.next_pfs_shape = s.positive("pfs_shape");
        p_.next_death_first = s.share("death_first", 0);
        p_.pps_shape = s.positive("pps_shape");
        p_.third_line = s.share("third_line");
        if (p_.adjuvant_mode) {
            // After a relapse: the first palliative line, then its `then` line until death.
            for (const char* key : {"third_line_duration", "salvage"}) {
                if (s.has(key)) s.fail(s.need(key), key, "not used by the [adjuvant] model");
            }
        } else {
            Section t = s.sub("third_line_duration");
            p_.third_line_median = t.positive("median");
            p_.third_line_shape = t.positive("shape");
            t.done();
            p_.salvage_regimen = regimen_index(s, "salvage");
        }
        for (Section& o : s.tables("option", true)) {
            NextLineOption option;
            option.regimen = regimen_index(o, "regimen");
            option.weight = o.number("weight");
            option.pfs_median = o.positive("pfs_median");
            option.then = regimen_choice(o, "then");
            o.done();
            p_.next_options.push_back(std::move(option));
        }
        s.done();
    }

    void read_adverse_events(Section s) {
        p_.earlier_milder_episode = s.share("earlier_milder_episode", 0);
        p_.earlier_milder_grade1 = s.share("earlier_milder_grade1", 0.5);
        p_.onset_after_cycle_days = s.range("onset_days_after_cycle");
        p_.adverse_within_cycles = s.integer("within_cycles", 1);
        if (p_.adverse_within_cycles < 1) s.fail(s.need("within_cycles"), "within_cycles", "must be >= 1");
        for (Section& e : s.tables("event", true)) {
            AdverseEventSpec spec;
            spec.term = e.text("term");
            for (Section& b : e.tables("bands", true)) {
                AdverseBand band;
                const toml::node& grades = b.need("grades");
                for (const auto& g : b.array(grades, "grades")) {
                    band.grades.push_back(static_cast<int>(b.integer(g, "grades")));
                    if (band.grades.back() < 1 || band.grades.back() > 5) b.fail(g, "grades", "CTCAE grades are 1 to 5");
                }
                if (band.grades.empty() || band.grades.size() > 2) b.fail(grades, "grades", "one or two grades");
                if (band.grades.size() == 2) band.first = b.share("first");
                band.share = b.share("share");
                band.many_cycles_rr = b.number("many_cycles_rr", 1);
                const std::string onset = b.text("onset", "any");
                if (onset == "any") band.onset = AdverseBand::Onset::any;
                else if (onset == "last") band.onset = AdverseBand::Onset::last;
                else if (onset == "second_half") band.onset = AdverseBand::Onset::second_half;
                else b.fail(b.need("onset"), "onset", "one of any, last, second_half");
                band.action = b.has("action") ? b.choice("action") : none_action();
                b.done();
                spec.bands.push_back(std::move(band));
            }
            spec.chain_from_grade = e.integer("chain_from_grade", 0);
            if (const toml::node* first = e.get("grade_first")) {
                if (!first->is_boolean()) e.fail(*first, "grade_first", "expected true or false");
                spec.grade_first = *first->value<bool>();
            }
            for (Section& c : e.tables("chain")) {
                AdverseLink link;
                link.p = c.share("p");
                link.term = c.text("term");
                link.grade = c.integer("grade");
                link.action = c.has("action") ? c.choice("action") : none_action();
                c.done();
                spec.chain.push_back(std::move(link));
            }
            e.done();
            p_.adverse_events.push_back(std::move(spec));
        }
        s.done();
    }

    void read_exclusion(Section& s) {
        Exclusion e;
        e.name = s.text("name");
        e.description = s.text("description");
        const std::string kind = s.text("kind");
        if (kind == "characteristic") {
            e.kind = Exclusion::Kind::characteristic;
            const toml::node& node = s.need("characteristic");
            const std::string name = s.text(node, "characteristic");
            for (std::size_t i = 0; i < p_.characteristics.size(); ++i) {
                if (p_.characteristics[i].name == name) e.characteristic = static_cast<int>(i);
            }
            if (e.characteristic < 0) s.fail(node, "characteristic", "no [[characteristic]] of that name");
            Section instead = s.sub("instead");
            e.instead = read_node(instead);
        } else if (kind == "other_index_regimen") {
            e.kind = Exclusion::Kind::other_index_regimen;
            e.regimens = regimen_choice(s, "regimens");
        } else if (kind == "index_as_later_line") {
            if (p_.adjuvant_mode) s.fail(s.need("kind"), "kind", "index_as_later_line needs the [index] model");
            e.kind = Exclusion::Kind::index_as_later_line;
            e.regimens = regimen_choice(s, "earlier_line");
            e.progression_before_index = s.range("progression_days_before_index");
            e.line_days = s.range("earlier_line_days");
            e.metastasis_before_line = s.range("metastasis_days_before_earlier_line");
        } else if (kind == "surgery_missing") {
            e.kind = Exclusion::Kind::surgery_missing;
            if (!p_.adjuvant_mode) s.fail(s.need("kind"), "kind", "surgery_missing needs the [adjuvant] model");
        } else if (kind == "outside_accrual") {
            e.kind = Exclusion::Kind::outside_accrual;
            e.earliest_day = s.date("earliest");
            e.latest_day = s.date("latest");
            if (e.earliest_day >= p_.accrual_first_day || e.latest_day <= p_.accrual_last_day || e.latest_day > p_.cutoff_day) {
                s.fail_here("earliest", "earliest must precede the accrual window, latest follow it (by the cut-off)");
            }
        } else {
            s.fail(s.need("kind"), "kind", "one of characteristic, other_index_regimen, index_as_later_line, outside_accrual, surgery_missing");
        }
        s.done();
        p_.exclusions.push_back(std::move(e));
    }

    void read_target(Section& s) {
        Target t;
        t.figure = s.text("figure");
        t.value = s.number("value");
        t.unit = s.text("unit", "");
        t.reference = s.text("reference");
        t.how = s.text("how");
        if (t.how != "exact" && t.how != "solved" && t.how != "tuned") s.fail(s.need("how"), "how", "one of exact, solved, tuned");
        s.done();
        p_.targets.push_back(std::move(t));
    }
};

// --- calibration ------------------------------------------------------------------------

double age_probability(const Profile& p, int age) {
    double total = 0;
    for (double w : p.age_weights) total += w;
    for (std::size_t band = 0; band + 1 < p.age_edges.size(); ++band) {
        if (age >= p.age_edges[band] && age < p.age_edges[band + 1]) {
            const int width = p.age_edges[band + 1] - p.age_edges[band];
            return p.age_weights[band] / total / width;
        }
    }
    return 0;
}

double pre_menopause_share(const Profile& p, double center) {
    double share = 0;
    for (int age = p.age_edges.front(); age < p.age_edges.back(); ++age) {
        share += age_probability(p, age) / (1 + std::exp((age - center) / p.menopause_slope_years));
    }
    return share;
}

// Limited-drug cycles of an early-progression patient: cycles on days 0, period, ... before
// the progression day, drawn uniformly on the class's range.
double early_cycle_probability(const Profile& p, const ResponseClass& c, int cycles) {
    int count = 0;
    for (int day = c.progression_days.low; day <= c.progression_days.high; ++day) {
        if ((day - 1) / p.index_period_days + 1 == cycles) ++count;
    }
    return static_cast<double>(count) / (c.progression_days.high - c.progression_days.low + 1);
}

void calibrate(Profile& p, const Section& top) {
    if (p.has_menopause) {
        double lo = 20, hi = 90;
        for (int iteration = 0; iteration < 100; ++iteration) {
            const double mid = 0.5 * (lo + hi);
            if (pre_menopause_share(p, mid) < p.menopause_pre_given_known) lo = mid;
            else hi = mid;
        }
        p.menopause_center = 0.5 * (lo + hi);
    }
    if (p.has_limited) {
        auto& target = p.limited_target;
        target.assign(static_cast<std::size_t>(p.limited_max) + 1, 0.0);
        for (const LimitedSegment& seg : p.limited_segments) {
            double sum = 0;
            if (seg.ratio > 0) {
                for (int c = seg.from; c <= seg.to; ++c) sum += std::pow(seg.ratio, c - seg.from);
                for (int c = seg.from; c <= seg.to; ++c) {
                    target[c] = std::pow(seg.ratio, c - seg.from) / sum * seg.share_numerator / seg.share_denominator;
                }
            } else {
                for (double w : seg.weights) sum += w;
                for (int c = seg.from; c <= seg.to; ++c) {
                    target[c] = seg.weights[c - seg.from] / sum * seg.share_numerator / seg.share_denominator;
                }
            }
        }
        double total = 0;
        for (double t : target) total += t;
        if (std::abs(total - 1) > 1e-9) top.fail_here("index.limited_cycles.segments", "shares must sum to 1 (they sum to " + std::to_string(total) + ")");
    }
    if (p.adjuvant_mode) {
        // S(t) = sum over stages of P(stage) exp(-HR (t / scale)^shape); bisection on the scale.
        std::vector<std::pair<double, double>> mix;  // P(stage), HR
        const Choice<std::string>& stage = p.adjuvant_stage;
        auto hr_of = [&](const std::string& code) {
            for (const auto& [s, hr] : p.stage_hr) {
                if (s == code) return hr;
            }
            return 1.0;
        };
        switch (stage.kind) {
            case Choice<std::string>::Kind::fixed: mix.emplace_back(1.0, hr_of(stage.fixed)); break;
            case Choice<std::string>::Kind::two_way:
                mix.emplace_back(stage.p, hr_of(stage.yes));
                mix.emplace_back(1 - stage.p, hr_of(stage.no));
                break;
            case Choice<std::string>::Kind::weighted: {
                double total = 0;
                for (double w : stage.weights) total += w;
                for (std::size_t i = 0; i < stage.options.size(); ++i) mix.emplace_back(stage.weights[i] / total, hr_of(stage.options[i]));
                break;
            }
        }
        double lo = 1, hi = 100000;
        for (int iteration = 0; iteration < 200; ++iteration) {
            p.dfs_scale = 0.5 * (lo + hi);
            double survival = 0;
            for (const auto& [share, hr] : mix) survival += share * std::exp(-hr * std::pow(p.dfs_months / p.dfs_scale, p.dfs_shape));
            if (survival < p.dfs_share) lo = p.dfs_scale;
            else hi = p.dfs_scale;
        }
        p.dfs_scale = 0.5 * (lo + hi);
        return;
    }
    for (Arm& arm : p.arms) {
        double response_total = 0;
        for (double w : arm.response_weights) response_total += w;
        if (p.has_limited) {
            arm.limited_non_early.assign(p.limited_target.size(), 0.0);
            double p_early = 0;
            for (std::size_t r = 0; r < p.responses.size(); ++r) {
                if (p.responses[r].early_progression) p_early += arm.response_weights[r] / response_total;
            }
            for (int c = 1; c <= p.limited_max; ++c) {
                double early = 0;
                for (std::size_t r = 0; r < p.responses.size(); ++r) {
                    if (!p.responses[r].early_progression) continue;
                    early += arm.response_weights[r] / response_total * early_cycle_probability(p, p.responses[r], c);
                }
                // With one early class this is p_early * P(c | early class), as derived.
                const double value = (p.limited_target[c] - early) / (1 - p_early);
                if (value < -1e-12) top.fail_here("index.arm", arm.name + ": the early-progression classes take more cycles of " + std::to_string(c) + " than the target allows");
                arm.limited_non_early[c] = std::max(value, 0.0);
            }
        }
        double lo = 1, hi = 500;
        for (int iteration = 0; iteration < 200; ++iteration) {
            arm.pfs_scale = 0.5 * (lo + hi);
            if (index_pfs_survival(p, arm, arm.pfs_median) < 0.5) lo = arm.pfs_scale;
            else hi = arm.pfs_scale;
        }
        arm.pfs_scale = 0.5 * (lo + hi);
    }
}

bool same_value(const FieldValue& a, const FieldValue& b) {
    return a.present == b.present && a.numeric == b.numeric && a.code == b.code && a.units == b.units;
}

// Probability that `field` equals `value` after evaluating n, when it did with probability
// `before`.
double node_probability(const Node& n, int field, const FieldValue& value, double before) {
    double prob = before;
    for (const auto& [f, v] : n.set) {
        if (f == field) prob = same_value(v, value) ? 1.0 : 0.0;
    }
    for (const NumberDraw& d : n.draw) {
        if (d.field == field) prob = 0;
    }
    switch (n.branch) {
        case Node::Branch::none: break;
        case Node::Branch::two_way: {
            const double yes = n.has_child[0] ? node_probability(n.children[0], field, value, prob) : prob;
            const double no = n.has_child[1] ? node_probability(n.children[1], field, value, prob) : prob;
            prob = n.p * yes + (1 - n.p) * no;
            break;
        }
        case Node::Branch::weighted: {
            double total = 0, sum = 0;
            for (double w : n.weights) total += w;
            for (std::size_t i = 0; i < n.children.size(); ++i) {
                sum += n.weights[i] / total * node_probability(n.children[i], field, value, prob);
            }
            prob = sum;
            break;
        }
        case Node::Branch::alternate: {
            double sum = 0;
            for (const Node& c : n.children) sum += node_probability(c, field, value, prob);
            prob = sum / static_cast<double>(n.children.size());
            break;
        }
    }
    if (!n.then.empty()) prob = node_probability(n.then[0], field, value, prob);
    return prob;
}

double effect_probability(const Profile& p, const Effect& e) {
    switch (e.kind) {
        case Effect::Kind::prior_exposure: return prior_exposure_share(p);
        case Effect::Kind::site_at_index:
            for (const auto& g : p.site_groups) {
                if (g.sites.size() == 1 && g.sites[0] == e.site) return g.p;
            }
            return 0;
        case Effect::Kind::field_value: {
            // Fields of different characteristics are independent; a field is set by one.
            const double fallback = same_value(p.fields[e.field].fallback, e.value) ? 1.0 : 0.0;
            double q = fallback;
            for (const auto& c : p.characteristics) q = node_probability(c.root, e.field, e.value, q);
            return q;
        }
        case Effect::Kind::limited_cycles_below: return 0;
    }
    return 0;
}

// Adds to `survival` the mixture over the covariate effects from `effect` on, then over the
// limited-drug cycles, in one accumulator (the order of the sums is part of the solution).
void mixture(const Profile& p, const Arm& arm, double months, std::size_t effect, double weight, double m,
             double& survival) {
    if (effect == p.effects.size()) {
        const int from = p.has_limited ? 1 : 0, to = p.has_limited ? p.limited_max : 0;
        for (int cycles = from; cycles <= to; ++cycles) {
            const double p_c = p.has_limited ? arm.limited_non_early[cycles] : 1.0;
            double mc = m;
            for (const Effect& e : p.effects) {
                if (e.kind == Effect::Kind::limited_cycles_below) mc = mc * (cycles < e.threshold ? e.pfs_hr : 1.0);
            }
            const double a = pfs_truncation_days(p, cycles) / days_per_month;
            const double s = months <= a ? 1.0
                                         : std::exp(-mc * (std::pow(months / arm.pfs_scale, p.pfs_shape) -
                                                           std::pow(a / arm.pfs_scale, p.pfs_shape)));
            survival += weight * p_c * s;
        }
        return;
    }
    const Effect& e = p.effects[effect];
    if (e.kind == Effect::Kind::limited_cycles_below) return mixture(p, arm, months, effect + 1, weight, m, survival);
    const double q = effect_probability(p, e);
    for (int applies = 0; applies <= 1; ++applies) {
        const double p_e = applies ? q : 1 - q;
        mixture(p, arm, months, effect + 1, weight * p_e, m * (applies ? e.pfs_hr : 1.0), survival);
    }
}

}  // namespace

int pfs_truncation_days(const Profile& profile, int cycles) {
    const int after_limited = profile.index_period_days * (cycles - 1) + profile.pfs_after_limited_days;
    return after_limited > profile.pfs_min_days ? after_limited : profile.pfs_min_days;
}

double prior_exposure_share(const Profile& profile) {
    double total = 0, exposed = 0;
    for (const History& h : profile.histories) {
        total += h.weight;
        bool gives = false;
        for (int r : {h.neoadjuvant, h.adjuvant, h.adjuvant_premenopausal}) {
            if (r < 0) continue;
            for (const Drug& d : profile.regimens[r].drugs) {
                gives |= std::find(profile.prior_exposure_drugs.begin(), profile.prior_exposure_drugs.end(), d.name) !=
                         profile.prior_exposure_drugs.end();
            }
        }
        if (gives) exposed += h.weight;
    }
    if (total == 0) return 0;
    return (1 - profile.de_novo) * exposed / total;
}

double index_pfs_survival(const Profile& p, const Arm& arm, double months) {
    double response_total = 0;
    for (double w : arm.response_weights) response_total += w;
    double survival = 0;
    for (std::size_t r = 0; r < p.responses.size(); ++r) {
        const ResponseClass& c = p.responses[r];
        if (c.early_progression) {
            // Such patients have progressed by the end of their range: nothing beyond it.
            if (months < c.progression_days.high / days_per_month) {
                throw std::logic_error("index_pfs_survival is defined beyond early progression only");
            }
            continue;
        }
        const double p_response = arm.response_weights[r] / response_total;
        mixture(p, arm, months, 0, p_response, c.pfs_hr, survival);
    }
    return survival;
}

std::string find_profile(const std::string& name_or_path) {
    if (name_or_path.find('/') != std::string::npos ||
        (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".toml")) {
        return name_or_path;
    }
    std::vector<fs::path> places{fs::current_path() / "studies" / "profiles"};
    std::error_code error;
    const fs::path exe = fs::read_symlink("/proc/self/exe", error);
    if (!error) {
        places.push_back(exe.parent_path() / "studies" / "profiles");
        places.push_back(exe.parent_path().parent_path() / "studies" / "profiles");
    }
#ifdef RWE_PROFILES_DIR
    places.emplace_back(RWE_PROFILES_DIR);
#endif
    std::string looked;
    std::vector<fs::path> seen;
    for (fs::path place : places) {
        place = place.lexically_normal();
        if (std::find(seen.begin(), seen.end(), place) != seen.end()) continue;
        seen.push_back(place);
        const fs::path file = place / (name_or_path + ".toml");
        if (fs::is_regular_file(file, error)) return file.string();
        looked += (looked.empty() ? "" : ", ") + place.string();
    }
    throw UsageError("--profile: unknown profile (" + name_or_path + "); looked in " + looked +
                     "; give a name there or a path to a .toml file");
}

Profile load_profile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot read the profile");
    std::stringstream text;
    text << in.rdbuf();
    toml::table root;
    try {
        root = toml::parse(text.str(), path);
    } catch (const toml::parse_error& error) {
        throw InputError(path, error.source().begin.line, "", std::string(error.description()), "");
    }
    Profile profile;
    profile.source = path;
    Loader loader(profile);
    loader.load(root);
    Section top(profile.source, root, "");
    if (profile.arms.empty()) top.fail_here("index.arm", "at least one arm");
    if (profile.adjuvant_mode && !profile.responses.empty()) top.fail_here("index", "responses belong to [index]");
    for (const History& h : profile.histories) profile.history_weights.push_back(h.weight);
    for (const Arm& a : profile.arms) profile.arm_weights.push_back(a.weight);
    for (const NextLineOption& o : profile.next_options) profile.next_weights.push_back(o.weight);
    calibrate(profile, top);
    return profile;
}

}  // namespace rwe::synth
