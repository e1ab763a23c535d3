#include "sizing/report/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "sizing/report/report_html_builder.h"
#include "sizing/report/report_text.h"
#include "sizing/risk_words.h"

namespace understudy::sizing::report {

namespace {

const std::string kGreen = "#1b7f5a";
const std::string kRed = "#c0392b";
const std::string kGrey = "#6b7785";

const char* const kBrowserCss = R"(
*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:#1f2933;font:15px/1.5 "DejaVu Sans",Helvetica,Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:32px 40px 48px;background:#fff}
.titleblock{border-bottom:3px solid #1f3a5f;padding-bottom:12px;margin-bottom:20px}
.kicker{color:#5f6b7a;font-size:13px;letter-spacing:.08em;text-transform:uppercase}
h1{font-size:28px;margin:4px 0;color:#1f3a5f}
.meta{color:#5f6b7a;margin:0;font-size:13px}
h2{font-size:20px;color:#1f3a5f;border-bottom:1px solid #d5dbe2;padding-bottom:4px;margin:32px 0 12px}
h3{font-size:16px;margin:20px 0 8px}
.box{border-radius:6px;padding:14px 18px;margin:12px 0;border-left:6px solid}
.box p{margin:6px 0}
.ok{background:#eaf6f0;border-color:#1b7f5a}
.bad{background:#fdecea;border-color:#c0392b}
.note{background:#fff8e1;border-color:#d69e00}
.question{color:#3e4c59;font-style:italic}
.answer{font-size:18px;font-weight:bold}
.verdict{display:inline-block;font-size:12px;font-weight:bold;color:#fff;border-radius:3px;padding:1px 8px;margin-right:8px;vertical-align:2px}
.verdict.ok{background:#1b7f5a}.verdict.bad{background:#c0392b}
table.data{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:14px}
table.data th{background:#eef1f5;text-align:left;font-weight:bold;padding:6px 8px;border-bottom:2px solid #c5cdd6}
table.data td{padding:5px 8px;border-bottom:1px solid #e3e7ec}
table.data td.num,table.data th.num{text-align:right;font-variant-numeric:tabular-nums}
table.data td.num{white-space:nowrap}
td.over{color:#c0392b;font-weight:bold}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
figure.chart{margin:0}
figure.chart svg{width:100%;height:auto;display:block}
.small{font-size:13px;color:#5f6b7a}
footer{margin-top:36px;color:#5f6b7a;font-size:12px;border-top:1px solid #d5dbe2;padding-top:8px}
)";

const char* const kPageCss = R"(
body{font-family:"DejaVu Sans";font-size:9pt;color:#1f2933}
h1{font-size:20pt;color:#1f3a5f;margin-top:0px;margin-bottom:2px}
h2{font-size:13pt;color:#1f3a5f;margin-top:20px;margin-bottom:8px}
h3{font-size:10.5pt;margin-top:14px;margin-bottom:6px}
p{margin-top:4px;margin-bottom:7px}
table.data{font-size:8.5pt;margin-top:4px;margin-bottom:6px}
.kicker{color:#5f6b7a;font-size:8pt;margin-bottom:0px}
.meta{color:#5f6b7a;font-size:8.5pt;margin-top:0px;margin-bottom:10px}
.question{color:#3e4c59;font-style:italic}
.answer{font-size:11.5pt;font-weight:bold}
.verdictok{color:#1b7f5a;font-weight:bold}
.verdictbad{color:#c0392b;font-weight:bold}
th{background-color:#eef1f5;font-weight:bold;text-align:left}
td.over{color:#c0392b;font-weight:bold}
.small{font-size:8pt;color:#5f6b7a}
)";

// The console's and understudyctl's notation, "1 in 350", with the exact value a hover away
// (a PDF keeps the words).
std::string probabilityCell(double p) {
    return "<span title=\"" + formatProbability(p) + "\">" + riskInWords(p) + "</span>";
}

std::int64_t riskBasedCapacity(const ResourceFigures& figures) {
    return std::max(figures.required_capacity, figures.required_capacity_per_cluster);
}

// P(D > c) read off the distribution the engine reported.
double tailAt(const DemandDistribution& distribution, std::int64_t capacity) {
    double above = distribution.beyond_mass;
    for (std::size_t k = distribution.probability.size(); k-- > 0;) {
        if (distribution.demandAt(k) <= capacity) {
            break;
        }
        above += distribution.probability[k];
    }
    return std::clamp(above, 0.0, 1.0);
}

std::string applianceLabel(const ApplianceResult& appliance) {
    return appliance.proposed ? "The proposed appliance" : appliance.spec.name;
}

std::string unservableText(const Unservable& u) {
    return u.cluster + " needs " + formatAmount(u.resource, u.needed) + " of " +
           resourceLabel(u.resource) + " when active, but only " +
           formatAmount(u.resource, std::max<std::int64_t>(u.available, 0)) +
           " is left beside the other standby nodes";
}

Chart distributionChart(const ApplianceResult& appliance, Resource resource) {
    const ResourceFigures& figures = appliance.figures(resource);
    const DemandDistribution& d = figures.distribution;
    const bool memory = resource == Resource::memory_mib;
    Chart chart;
    chart.title = std::string(memory ? "Memory" : "vCPU") + " demand: probability of each level";
    chart.x_label = memory ? "Demand (GiB)" : "Demand (vCPUs)";
    chart.y_label = "Probability";
    chart.style = Chart::Style::bars;
    chart.x_divisor = memory ? 1024 : 1;
    chart.bar_width = static_cast<double>(d.unit);
    for (std::size_t k = 0; k < d.probability.size(); ++k) {
        chart.points.push_back({static_cast<double>(d.demandAt(k)), d.probability[k]});
    }
    chart.markers.push_back({static_cast<double>(figures.capacity),
                             "capacity " + formatAmount(resource, figures.capacity),
                             figures.meets_target ? kGreen : kRed});
    return chart;
}

Chart riskChart(const ApplianceResult& appliance, Resource resource, const SizingResult& result) {
    const ResourceFigures& figures = appliance.figures(resource);
    const DemandDistribution& d = figures.distribution;
    const bool memory = resource == Resource::memory_mib;
    Chart chart;
    chart.title = std::string(memory ? "Memory" : "vCPUs") + ": overflow risk against capacity";
    chart.x_label = memory ? "Usable capacity (GiB)" : "Usable capacity (vCPUs)";
    chart.y_label = "P(demand > capacity)";
    chart.style = Chart::Style::steps;
    chart.x_divisor = memory ? 1024 : 1;
    const std::vector<double> tail = d.tailProbabilities();
    for (std::size_t k = 0; k < tail.size(); ++k) {
        chart.points.push_back({static_cast<double>(d.demandAt(k)), tail[k]});
    }
    chart.target = result.target_risk;
    chart.target_label = "target " + riskInWords(result.target_risk);
    chart.markers.push_back({static_cast<double>(figures.capacity),
                             (appliance.proposed ? "capacity " : appliance.spec.name + ": ") +
                                 formatAmount(resource, figures.capacity),
                             figures.meets_target ? kGreen : kRed});
    if (figures.required_capacity != figures.capacity) {
        chart.markers.push_back(
            {static_cast<double>(figures.required_capacity),
             "target met at " + formatAmount(resource, figures.required_capacity), kGrey});
    }
    return chart;
}

void answerSection(Html& h, const SizingResult& result, const Fleet& fleet) {
    const bool ok = result.allMeetTarget();
    const bool proposed = result.appliances.size() == 1 && result.appliances.front().proposed;
    h.openBox(ok ? "ok" : "bad");
    h << "<p class=\"question\">" + htmlEscape(reportQuestion(result, fleet)) + "</p>\n";
    const std::vector<std::string> answers = reportAnswers(result);
    for (std::size_t i = 0; i < result.appliances.size(); ++i) {
        const std::string answer = htmlEscape(answers[i]);
        const bool meets = result.appliances[i].meetsTarget();
        const std::string verdict = proposed ? "SIZED" : meets ? "MEETS TARGET" : "MISSES TARGET";
        if (h.browser()) {
            h << "<p class=\"answer\"><span class=\"verdict " + std::string(meets ? "ok" : "bad") +
                     "\">" + verdict + "</span>" + answer + "</p>\n";
        } else {
            h << "<p class=\"answer\"><span class=\"" +
                     std::string(meets ? "verdictok" : "verdictbad") + "\">" + verdict +
                     " · </span>" + answer + "</p>\n";
        }
    }
    if (result.pool) {
        std::string failing;
        for (const PoolDown& down : result.pool->n_plus_one) {
            if (!down.unservable.empty() || down.overflow_risk[0] > result.target_risk ||
                down.overflow_risk[1] > result.target_risk) {
                failing += (failing.empty() ? "" : ", ") + htmlEscape(down.down);
            }
        }
        h << "<p>N+1: " +
                 (failing.empty()
                      ? std::string("with any single appliance down, the others still meet the "
                                    "target.")
                      : "the pool misses the target with one of these appliances down: " + failing +
                            " (see N+1 below).") +
                 "</p>\n";
    }
    h.closeBox();
}

void unservableSection(Html& h, const SizingResult& result) {
    std::vector<std::string> lines;
    for (const ApplianceResult& appliance : result.appliances) {
        for (const Unservable& u : appliance.unservable) {
            lines.push_back(htmlEscape(unservableText(u)) + " on " +
                            htmlEscape(applianceLabel(appliance)) + ".");
        }
    }
    if (lines.empty()) {
        return;
    }
    h.openBox("bad");
    h << "<p><b>" + std::to_string(lines.size()) +
             (lines.size() == 1 ? " cluster can" : " clusters can") +
             " never be served, whatever the odds:</b> " +
             (lines.size() == 1 ? "its active footprint does" : "their active footprints do") +
             " not fit beside the other clusters' standby footprints. No overall risk figure can "
             "make up for "
             "this; give the appliance more capacity or move the cluster elsewhere.</p>\n<ul>";
    for (const std::string& line : lines) {
        h << "<li>" + line + "</li>";
    }
    h << "</ul>\n";
    h.closeBox();
}

void inputsSection(Html& h, const SizingResult& result, const Fleet& fleet) {
    h.heading("Inputs");
    std::size_t grouped = 0;
    for (const ClusterSpec& c : fleet.clusters) {
        grouped += c.group.empty() ? 0u : 1u;
    }
    std::string groups;
    for (const GroupSpec& g : fleet.groups) {
        groups += (groups.empty() ? "" : ", ") + htmlEscape(g.name) + " (on with probability " +
                  probabilityCell(stationaryProbability(g.mtbf_hours, g.mttr_hours)) + ")";
    }
    h.openTable({{"Input", false}, {"Value", false}});
    const std::vector<bool> text{false, false};
    h.row({"Target overflow risk",
           riskInWords(result.target_risk) + " (" + formatProbability(result.target_risk) + ")"},
          text);
    char overcommit[32];
    std::snprintf(overcommit, sizeof overcommit, "%g", result.cpu_overcommit);
    h.row({"CPU overcommit", std::string(overcommit) + "× (one host vCPU carries " + overcommit +
                                 " vCPUs of standby nodes)"},
          text);
    h.row({"Clusters", std::to_string(fleet.clusters.size()) + " (" + std::to_string(grouped) +
                           " in common-cause groups)"},
          text);
    h.row({"Common-cause groups",
           fleet.groups.empty() ? "none" : std::to_string(fleet.groups.size()) + ": " + groups},
          text);
    h.row({"Deterministic baseline", "tolerate " + std::to_string(result.baselines.tolerate_k) +
                                         " simultaneous failover" +
                                         (result.baselines.tolerate_k == 1 ? "" : "s")},
          text);
    h.row({"Method", result.method == "montecarlo" ? "Monte Carlo (sampled)"
                     : result.exact                ? "exact (no sampling)"
                                    : "exact model on quantized demands, with bounds"},
          text);
    h.closeTable();

    h << "<h3>Appliance" + std::string(result.appliances.size() == 1 ? "" : "s") + "</h3>\n";
    if (result.appliances.size() == 1 && result.appliances.front().proposed) {
        h << "<p>None given: this report sizes one.</p>\n";
        return;
    }
    h.openTable({{"Appliance", false},
                 {"Memory", true},
                 {"vCPUs", true},
                 {"Host reserve", true},
                 {"Usable memory", true},
                 {"Usable vCPUs", true},
                 {"Clusters placed", true}});
    for (const ApplianceResult& a : result.appliances) {
        h.row({htmlEscape(a.spec.name), formatAmount(Resource::memory_mib, a.spec.memory_mib),
               formatAmount(Resource::vcpus, a.spec.vcpus),
               formatAmount(Resource::memory_mib, a.spec.reserve_memory_mib) + ", " +
                   formatAmount(Resource::vcpus, a.spec.reserve_vcpus),
               formatAmount(Resource::memory_mib, a.figures(Resource::memory_mib).capacity),
               formatAmount(Resource::vcpus, a.figures(Resource::vcpus).capacity),
               std::to_string(a.clusters.size())},
              {false, true, true, true, true, true, true});
    }
    h.closeTable();
}

void savingsSection(Html& h, const SizingResult& result) {
    h.heading("What overbooking saves");
    std::array<std::int64_t, kResourceCount> riskBased{};
    for (const ApplianceResult& a : result.appliances) {
        for (const Resource r : kResources) {
            riskBased[static_cast<std::size_t>(r)] += riskBasedCapacity(a.figures(r));
        }
    }
    const auto& none = result.baselines.no_overbooking;
    const auto saving = [&](std::int64_t baseline, std::size_t r) {
        return baseline > 0
                   ? static_cast<double>(baseline - riskBased[r]) / static_cast<double>(baseline)
                   : 0.0;
    };
    h << "<p>Sized for an overflow risk of " + riskInWords(result.target_risk) +
             ", the clusters need " + formatAmount(Resource::memory_mib, riskBased[0]) +
             " of memory instead of " + formatAmount(Resource::memory_mib, none[0]) + " (" +
             formatPercent(saving(none[0], 0)) + " less) and " +
             formatAmount(Resource::vcpus, riskBased[1]) + " instead of " +
             formatAmount(Resource::vcpus, none[1]) + " (" + formatPercent(saving(none[1], 1)) +
             " less) compared with reserving every standby node at its active footprint.</p>\n";

    const bool single = result.appliances.size() == 1;
    std::vector<Html::Column> header{{"Policy", false, 34},
                                     {"Usable memory", true, 12},
                                     {"Saving", true, 15},
                                     {"Usable vCPUs", true, 11},
                                     {"Saving", true, 15}};
    if (single) {
        header.push_back({"Overflow risk (memory / vCPUs)", true, 13});
    }
    h.openTable(header);
    const auto riskCell = [&](const std::array<std::int64_t, kResourceCount>& capacity) {
        const ApplianceResult& a = result.appliances.front();
        return probabilityCell(tailAt(a.figures(Resource::memory_mib).distribution, capacity[0])) +
               " / " +
               probabilityCell(tailAt(a.figures(Resource::vcpus).distribution, capacity[1]));
    };
    const auto policyRow = [&](const std::string& name,
                               const std::array<std::int64_t, kResourceCount>& capacity,
                               bool showSaving) {
        std::vector<std::string> cells{name};
        for (const Resource r : kResources) {
            const auto ri = static_cast<std::size_t>(r);
            cells.push_back(formatAmount(r, capacity[ri]));
            if (!showSaving) {
                cells.push_back("—");
            } else if (capacity[ri] >= riskBased[ri]) {
                cells.push_back(formatAmount(r, capacity[ri] - riskBased[ri]) + " (" +
                                formatPercent(saving(capacity[ri], ri)) + ")");
            } else {
                cells.push_back("none (" + formatAmount(r, riskBased[ri] - capacity[ri]) +
                                " smaller)");
            }
        }
        if (single) {
            cells.push_back(riskCell(capacity));
        }
        h.row(cells, {false, true, true, true, true, true});
    };
    policyRow("Risk-based, " + riskInWords(result.target_risk) + " (this report)", riskBased,
              false);
    policyRow("No overbooking: every node reserved at its active footprint", none, true);
    const int k = result.baselines.tolerate_k;
    policyRow("Tolerate " + std::to_string(k) + " simultaneous failover" + (k == 1 ? "" : "s") +
                  " (vSphere HA style)",
              result.baselines.tolerate_k_capacity, true);
    h.closeTable();
    h << "<p class=\"small\">Saving: how much less the risk-based size needs than the policy. "
         "Tolerating k failovers ignores how likely failovers are: it can be larger than needed, "
         "or smaller and then riskier than the target (see its overflow risk).</p>\n";
}

// A mean shortfall as the console writes it (HTML): below one unit "< 1 MiB" or "< 0.1 vCPUs",
// never in scientific notation; memory in its largest whole unit.
std::string formatShortfall(Resource resource, double shortfall) {
    const bool memory = resource == Resource::memory_mib;
    if (shortfall <= 0) {
        return memory ? "0 MiB" : "0 vCPUs";
    }
    if (memory) {
        return shortfall < 1.0 ? "&lt; 1 MiB" : formatAmount(resource, std::llround(shortfall));
    }
    if (shortfall < 0.1) {
        return "&lt; 0.1 vCPUs";
    }
    char b[48];
    std::snprintf(b, sizeof b, "%.1f vCPUs", shortfall);
    return b;
}

void applianceSection(Html& h, const SizingResult& result, const ApplianceResult& a) {
    h.heading(a.proposed ? "The proposed appliance" : "Appliance " + a.spec.name, true);
    h.openTable({{"Figure", false}, {"Memory", true}, {"vCPUs", true}});
    const auto figureRow = [&](const std::string& name, auto&& cell) {
        h.row({name, cell(Resource::memory_mib), cell(Resource::vcpus)}, {false, true, true});
    };
    figureRow("Usable capacity",
              [&](Resource r) { return formatAmount(r, a.figures(r).capacity); });
    if (a.proposed) {
        figureRow("To buy (usable plus host reserve)", [&](Resource r) {
            return formatAmount(r, r == Resource::memory_mib ? a.spec.memory_mib : a.spec.vcpus);
        });
    }
    figureRow("All standby footprints",
              [&](Resource r) { return formatAmount(r, a.figures(r).standby_total); });
    figureRow("All active footprints (no overbooking)",
              [&](Resource r) { return formatAmount(r, a.figures(r).active_total); });
    figureRow("Fleet risk meets the target at",
              [&](Resource r) { return formatAmount(r, a.figures(r).required_capacity); });
    figureRow("Every cluster meets the target at (when active)", [&](Resource r) {
        return formatAmount(r, a.figures(r).required_capacity_per_cluster);
    });
    figureRow("Overflow risk P(demand > capacity)", [&](Resource r) {
        const ResourceFigures& f = a.figures(r);
        std::string cell = probabilityCell(f.overflow_risk);
        if (f.overflow_risk_lower && f.overflow_risk_upper) {
            cell += " (between " + probabilityCell(*f.overflow_risk_lower) + " and " +
                    probabilityCell(*f.overflow_risk_upper) + ")";
        }
        return cell;
    });
    figureRow("Expected shortfall",
              [&](Resource r) { return formatShortfall(r, a.figures(r).expected_shortfall); });
    figureRow("Meets the target", [&](Resource r) {
        return std::string(a.figures(r).meets_target ? "yes" : "<b>no</b>");
    });
    h.closeTable();
    const JointRisk& any = a.overflow_risk_any;
    std::string joint = "<p>Overflow risk of memory <i>or</i> vCPUs: <b>" + riskInWords(any.value) +
                        "</b>" + (any.value > 0 ? " (" + formatProbability(any.value) + ")" : "") +
                        ", ";
    if (any.method == "montecarlo") {
        joint += "estimated by rare-event Monte Carlo from " + withThousands(any.samples) +
                 " samples, 95% interval " + probabilityCell(any.lower) + " to " +
                 probabilityCell(any.upper) + ".</p>\n";
    } else {
        joint += "computed exactly over both resources together.</p>\n";
    }
    h << joint;
    for (const Resource r : kResources) {
        const bool memory = r == Resource::memory_mib;
        // on paper each resource's two charts share a page with their heading
        h << (memory || h.browser() ? "<h3>" : "<h3 style=\"page-break-before: always\">") +
                 std::string(memory ? "Memory" : "vCPUs") + "</h3>\n";
        if (h.browser()) {
            h << "<div class=\"charts\">\n";
        }
        h.chart(distributionChart(a, r));
        h.chart(riskChart(a, r, result));
        if (h.browser()) {
            h << "</div>\n";
        }
    }
    h << std::string("<p class=\"small\">") + (h.browser() ? "Left" : "Top") +
             ": how likely each total demand is (log scale, so rare levels stay visible). " +
             (h.browser() ? "Right" : "Bottom") +
             ": the chance that demand exceeds a given usable capacity; where the "
             "curve crosses the red target line is the capacity the target needs.</p>\n";
}

std::string footprintText(const Footprint& f) {
    return formatAmount(Resource::memory_mib, f.memory_mib) + ", " +
           formatAmount(Resource::vcpus, f.vcpus);
}

void clusterSection(Html& h, const SizingResult& result, const Fleet& fleet,
                    const ApplianceResult& a) {
    h.heading(std::string("Clusters") +
                  (result.appliances.size() == 1 ? "" : " on " + a.spec.name) +
                  ", by risk when active",
              true);
    std::map<std::string, const ClusterSpec*> specs;
    for (const ClusterSpec& c : fleet.clusters) {
        specs[c.name] = &c;
    }
    std::vector<const ClusterFigures*> order;
    for (const ClusterFigures& c : a.clusters) {
        order.push_back(&c);
    }
    const auto worst = [](const ClusterFigures* c) {
        return std::max(c->risk_when_active[0], c->risk_when_active[1]);
    };
    std::stable_sort(order.begin(), order.end(), [&](const auto* x, const auto* y) {
        return worst(x) != worst(y) ? worst(x) > worst(y) : x->name < y->name;
    });
    h << "<p>Risk when active: the chance that the appliance overflows while that cluster is "
         "failed over onto it. Values above the target are in red.</p>\n";
    h.openTable({{"Cluster", false, 12},
                 {"Group", false, 9},
                 {"Priority", true, 9},
                 {"Standby", true, 14},
                 {"Active", true, 15},
                 {"Failover probability", true, 13},
                 {"Risk when active (memory)", true, 14},
                 {"Risk when active (vCPUs)", true, 14}});
    for (const ClusterFigures* c : order) {
        const auto spec = specs.find(c->name);
        const bool known = spec != specs.end();
        h.row(
            {htmlEscape(c->name), c->group.empty() ? "—" : htmlEscape(c->group),
             std::to_string(c->priority),
             known ? footprintText(spec->second->effectiveStandby()) : "—",
             known ? footprintText(spec->second->active) : "—",
             probabilityCell(c->failover_probability), probabilityCell(c->risk_when_active[0]),
             probabilityCell(c->risk_when_active[1])},
            {false, false, true, true, true, true, true, true},
            {false, false, false, false, false, false, c->risk_when_active[0] > result.target_risk,
             c->risk_when_active[1] > result.target_risk});
    }
    h.closeTable();
}

void poolSection(Html& h, const SizingResult& result) {
    if (!result.pool) {
        return;
    }
    h.heading("N+1: the pool with one appliance down");
    h << "<p>Each row takes one appliance out and re-places its clusters on the others.</p>\n";
    h.openTable({{"Appliance down", false},
                 {"Worst overflow risk (memory)", true},
                 {"Worst overflow risk (vCPUs)", true},
                 {"Clusters that cannot be served", false},
                 {"Verdict", false}});
    for (const PoolDown& down : result.pool->n_plus_one) {
        std::string unservable;
        for (const Unservable& u : down.unservable) {
            unservable += (unservable.empty() ? "" : "; ") + htmlEscape(unservableText(u));
        }
        const bool ok = down.unservable.empty() && down.overflow_risk[0] <= result.target_risk &&
                        down.overflow_risk[1] <= result.target_risk;
        h.row({htmlEscape(down.down), probabilityCell(down.overflow_risk[0]),
               probabilityCell(down.overflow_risk[1]), unservable.empty() ? "none" : unservable,
               ok ? "meets the target" : "<b>misses the target</b>"},
              {false, true, true, false, false},
              {false, down.overflow_risk[0] > result.target_risk,
               down.overflow_risk[1] > result.target_risk, !down.unservable.empty(), !ok});
    }
    h.closeTable();
}

void warningsSection(Html& h, const SizingResult& result) {
    if (result.warnings.empty()) {
        return;
    }
    h.heading("Warnings");
    h.openBox("note");
    h << "<ul>";
    for (const std::string& w : result.warnings) {
        h << "<li>" + htmlEscape(w) + "</li>";
    }
    h << "</ul>\n";
    h.closeBox();
}

void callerSections(Html& h, const std::vector<ReportSection>& sections) {
    for (const ReportSection& section : sections) {
        h.heading(section.title);
        h << "<p>" + htmlEscape(section.text) + "</p>\n";
        std::vector<Html::Column> header;
        for (const std::string& column : section.columns) {
            header.push_back({column});
        }
        h.openTable(header);
        for (const std::vector<std::string>& row : section.rows) {
            std::vector<std::string> cells;
            for (const std::string& cell : row) {
                cells.push_back(htmlEscape(cell));
            }
            h.row(cells, {});
        }
        h.closeTable();
    }
}

void methodSection(Html& h, const SizingResult& result) {
    h.heading("Assumptions and method");
    const auto para = [&](const std::string& title, const std::string& text) {
        h << "<p><b>" + title + "</b> " + text + "</p>\n";
    };
    para("Failover probability.",
         "Each cluster is failed over — its standby node active on the appliance — a fixed share "
         "of the time: the stationary probability p = MTTR / (MTBF + MTTR). MTTR here is how "
         "long a takeover lasts on the appliance: detection, repair of the physical node and "
         "the delay until switch-back, often far longer than the repair itself.");
    para("Independence and common causes.",
         "Clusters fail independently of each other, except members of a common-cause group "
         "(rack, power feed, site): the group itself is \"on\" with its own probability, and "
         "while it is on all its members are failed over. The failover probability in the "
         "cluster table includes the group's: 1 − (1 − p_cluster)(1 − p_group).");
    para("Demand and overflow.",
         "Demand is the sum of all standby footprints plus, for every failed-over cluster, the "
         "growth from its standby to its active footprint. The overflow risk is the probability "
         "that demand exceeds the usable capacity: memory minus the host reserve, and physical "
         "vCPUs minus the reserve times the CPU overcommit. Clusters whose memory is reserved "
         "hold their active memory all the time. The expected shortfall is the average amount "
         "by which demand exceeds capacity.");
    para("Required capacity.",
         "The smallest usable capacity whose overflow risk is at most the target; the stricter "
         "figure also keeps every single cluster's risk when active within the target, so no "
         "cluster is the one that usually finds the appliance full. A proposed appliance gets "
         "the larger of the two, plus the host reserve.");
    std::string how;
    if (result.method == "montecarlo") {
        how =
            "The figures were estimated by Monte Carlo sampling, a cross-check rather than the "
            "default answer; they carry sampling error.";
    } else if (result.exact) {
        how =
            "The distributions were computed exactly by convolution over the integer demands "
            "(divided by their greatest common divisor): there is no sampling error and "
            "probabilities as small as 10⁻¹⁵ are reliable.";
    } else {
        how =
            "To stay fast the engine quantized the demands; every overflow risk is then given "
            "with a lower and an upper bound that bracket the exact value.";
    }
    para("Computation.", how);
    para("Memory or vCPUs.",
         "The overflow risk of memory or vCPUs (either one overflowing) is computed exactly over "
         "the joint distribution of both resources where that is small enough, otherwise "
         "estimated by rare-event Monte Carlo with a 95% interval.");
    para("Baselines.",
         "No overbooking reserves every standby node at its active footprint. \"Tolerate k\" "
         "reserves all standby footprints plus the k largest growths to active, like vSphere HA "
         "admission control: safe for any k failovers, blind to how likely more are.");
}

}  // namespace

std::string reportQuestion(const SizingResult& result, const Fleet& fleet) {
    const std::string clusters = std::to_string(fleet.clusters.size()) + " cluster" +
                                 (fleet.clusters.size() == 1 ? "" : "s");
    const std::string risk = riskInWords(result.target_risk);
    if (result.appliances.size() == 1 && result.appliances.front().proposed) {
        return "How large must a passive-node appliance be to host the standby nodes of " +
               clusters +
               ", so that the chance that they cannot all get their active footprint "
               "stays below " +
               risk + "?";
    }
    const std::string who =
        result.appliances.size() == 1
            ? "Can " + result.appliances.front().spec.name
            : "Can the pool of " + std::to_string(result.appliances.size()) + " appliances";
    return who + " host the standby nodes of " + clusters + " with a chance below " + risk +
           " that they cannot all get their active footprint?";
}

std::vector<std::string> reportAnswers(const SizingResult& result) {
    std::vector<std::string> answers;
    const std::string target = riskInWords(result.target_risk);
    for (const ApplianceResult& a : result.appliances) {
        const ResourceFigures& memory = a.figures(Resource::memory_mib);
        const ResourceFigures& vcpus = a.figures(Resource::vcpus);
        if (a.proposed) {
            char overcommit[32];
            std::snprintf(overcommit, sizeof overcommit, "%g", result.cpu_overcommit);
            answers.push_back(
                "To keep the chance that standby nodes cannot all get their active footprint "
                "below " +
                target + ", the appliance needs " +
                formatAmount(Resource::memory_mib, memory.capacity) + " of memory and " +
                formatAmount(Resource::vcpus, vcpus.capacity) + " usable: buy " +
                formatAmount(Resource::memory_mib, a.spec.memory_mib) + " and " +
                formatAmount(Resource::vcpus, a.spec.vcpus) + " (host reserve " +
                formatAmount(Resource::memory_mib, a.spec.reserve_memory_mib) + " and " +
                formatAmount(Resource::vcpus, a.spec.reserve_vcpus) + ", CPU overcommit " +
                overcommit + "×).");
            continue;
        }
        std::string answer = a.spec.name + (a.meetsTarget() ? " meets" : " misses") +
                             " the target: overflow risk " + riskInWords(memory.overflow_risk) +
                             " for memory and " + riskInWords(vcpus.overflow_risk) +
                             " for vCPUs, against a target of " + target;
        std::string needs;
        for (const Resource r : kResources) {
            const ResourceFigures& f = a.figures(r);
            if (!f.meets_target) {
                needs += std::string(needs.empty() ? "" : " and ") +
                         formatAmount(r, riskBasedCapacity(f)) + " of usable " + resourceLabel(r) +
                         " (it has " + formatAmount(r, f.capacity) + ")";
            }
        }
        if (!needs.empty()) {
            answer += "; meeting it needs " + needs;
        }
        if (!a.unservable.empty()) {
            std::string names;
            for (const Unservable& u : a.unservable) {
                if (names.find(u.cluster) == std::string::npos) {
                    names += (names.empty() ? "" : ", ") + u.cluster;
                }
            }
            answer += "; and " + names + " can never be served";
        }
        answers.push_back(answer + ".");
    }
    return answers;
}

const char* pageStyleSheet() {
    return kPageCss;
}

ReportHtml buildReportHtml(const SizingResult& result, const Fleet& fleet,
                           const ReportOptions& options, HtmlDialect dialect) {
    Html h{dialect, {}, {}};
    if (h.browser()) {
        h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                 htmlEscape(options.title) + "</title>\n<style>" + kBrowserCss +
                 "</style>\n</head>\n<body>\n<main>\n<header class=\"titleblock\">\n";
    } else {
        h << "<html><body>\n";
    }
    h << "<p class=\"kicker\">UNDERSTUDY · CAPACITY PLANNING</p>\n<h1>" +
             htmlEscape(options.title) + "</h1>\n";
    std::string meta = std::to_string(fleet.clusters.size()) + " clusters";
    if (!options.source.empty()) {
        meta = "Fleet " + htmlEscape(options.source) + " · " + meta;
    }
    if (!options.generated_at.empty()) {
        meta += " · generated " + htmlEscape(options.generated_at);
    }
    h << "<p class=\"meta\">" + meta + "</p>\n";
    if (h.browser()) {
        h << "</header>\n";
    }
    answerSection(h, result, fleet);
    unservableSection(h, result);
    warningsSection(h, result);
    callerSections(h, options.sections);
    inputsSection(h, result, fleet);
    savingsSection(h, result);
    poolSection(h, result);
    for (const ApplianceResult& a : result.appliances) {
        applianceSection(h, result, a);
    }
    for (const ApplianceResult& a : result.appliances) {
        clusterSection(h, result, fleet, a);
    }
    methodSection(h, result);
    if (h.browser()) {
        h << "<footer>Made by Understudy's sizing engine from the fleet's own figures. "
             "Probabilities are per moment in time: the share of time the appliance would be "
             "short.</footer>\n</main>\n</body>\n</html>\n";
    } else {
        h << "</body></html>\n";
    }
    return {std::move(h.out), std::move(h.charts)};
}

}  // namespace understudy::sizing::report
