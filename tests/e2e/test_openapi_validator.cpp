// The check every e2e exchange passes through: the document a real understudyd serves, with
// answers it really gave, each spoiled in one field. A validator that let any of them through
// would let the e2e suite pass over a document that no longer describes the service.
#include <QTest>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

class OpenApiValidatorTest : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<ServiceProcess> service_;
    json nodes_;

    const understudy::testsupport::OpenApiValidator& document() {
        return *servedDocument(service_->port());
    }
    std::string nodesMismatch(const json& body) {
        return document().mismatch(
            Exchange{"GET", "/api/v1/nodes", "", 200, "application/json", body.dump()});
    }
    static bool says(const std::string& mismatch, const std::string& what) {
        return mismatch.find(what) != std::string::npos;
    }

private slots:
    void initTestCase() {
        service_ = std::make_unique<ServiceProcess>();
        QVERIFY2(service_->start(), service_->output().constData());
        const Reply nodes = service_->get(QStringLiteral("/api/v1/nodes"));
        QCOMPARE(nodes.status, 200);
        nodes_ = nodes.document();
        QVERIFY(nodes_["nodes"].size() >= 2);
        QVERIFY(servedDocument(service_->port()) != nullptr);
    }
    void cleanupTestCase() { QCOMPARE(service_->terminate(), 0); }

    void theServicesOwnAnswerMatches() {
        const std::string mismatch = nodesMismatch(nodes_);
        QVERIFY2(mismatch.empty(), mismatch.c_str());
    }

    void aWrongTypeIsCaughtAtItsPath() {
        json spoiled = nodes_;
        spoiled["nodes"][1]["standby"]["vcpus"] = "two";
        const std::string mismatch = nodesMismatch(spoiled);
        QVERIFY2(says(mismatch, "$.nodes[1].standby.vcpus:"), mismatch.c_str());
    }

    void aMissingRequiredFieldIsCaughtAtItsObject() {
        json spoiled = nodes_;
        spoiled["nodes"][0]["active"].erase("memory_mib");
        const std::string mismatch = nodesMismatch(spoiled);
        QVERIFY2(says(mismatch, "$.nodes[0].active: 'memory_mib' is a required property"),
                 mismatch.c_str());
    }

    void nullWhereAnObjectIsPromisedIsCaught() {
        json spoiled = nodes_;
        spoiled["nodes"][0]["standby"] = nullptr;
        const std::string mismatch = nodesMismatch(spoiled);
        QVERIFY2(says(mismatch, "$.nodes[0].standby:"), mismatch.c_str());
    }

    void aFieldTheDocumentDoesNotNameIsCaught() {
        json spoiled = nodes_;
        spoiled["nodes"][1]["standby"]["disks"] = 2;
        const std::string mismatch = nodesMismatch(spoiled);
        QVERIFY2(says(mismatch, "$.nodes[1].standby: ") && says(mismatch, "'disks'"),
                 mismatch.c_str());
    }

    void aValueOutsideItsEnumIsCaught() {
        json spoiled = nodes_;
        spoiled["nodes"][0]["state"] = "napping";
        const std::string mismatch = nodesMismatch(spoiled);
        QVERIFY2(says(mismatch, "$.nodes[0].state:"), mismatch.c_str());
    }

    void aWrongDenialInAnErrorBodyIsCaught() {
        const json denied = {
            {"error", "takeover_denied"},
            {"message", "Not enough memory."},
            {"denial",
             {{"resource", "memory_mib"},
              {"needed", 4096},
              {"free", 1024},
              {"holders", {{{"node", "a"}, {"cluster", "a"}, {"priority", "high"}, {"holds", 1}}}},
              {"preemptable", json::array()},
              {"tried", {"headroom"}}}}};
        const std::string mismatch =
            document().mismatch(Exchange{"POST", "/api/v1/nodes/crm-passive/takeover", "", 409,
                                         "application/json", denied.dump()});
        QVERIFY2(says(mismatch, "$.denial.holders[0].priority:"), mismatch.c_str());
    }

    void anErrorBodyWithoutItsMessageIsCaught() {
        const std::string mismatch = document().mismatch(Exchange{
            "GET", "/api/v1/nowhere", "", 404, "application/json", R"({"error": "not_found"})"});
        QVERIFY2(says(mismatch, "$:") && says(mismatch, "message"), mismatch.c_str());
    }

    void anUndocumentedStatusIsCaught() {
        const std::string mismatch = document().mismatch(
            Exchange{"GET", "/api/v1/nodes", "", 418, "application/json", nodes_.dump()});
        QVERIFY2(says(mismatch, "418") && says(mismatch, "not among"), mismatch.c_str());
    }

    void anAcceptedRequestBodyOutsideItsSchemaIsCaught() {
        const std::string mismatch = document().mismatch(
            Exchange{"POST", "/api/v1/nodes/crm-passive/power", R"({"action": "explode"})", 200,
                     "application/json", R"({"power": "on"})"});
        QVERIFY2(says(mismatch, "request body") && says(mismatch, "$.action:"), mismatch.c_str());
    }

    void aRefusedRequestBodyIsNotHeldToTheSchema() {
        const std::string mismatch = document().mismatch(
            Exchange{"POST", "/api/v1/nodes/crm-passive/power", R"({"action": "explode"})", 400,
                     "application/json",
                     R"({"error": "invalid_field", "message": "No.", "field": "action"})"});
        QVERIFY2(mismatch.empty(), mismatch.c_str());
    }

    // Without python3 (or jsonschema) nothing is validated: every exchange fails, naming the
    // package to install, rather than passing unchecked.
    void aMissingPython3FailsNamingThePackageToInstall() {
        const Reply served = service_->get(QStringLiteral("/api/v1/openapi.json"));
        QCOMPARE(served.status, 200);
        QTemporaryDir without_python;
        QVERIFY(without_python.isValid());
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", without_python.path().toUtf8());
        const understudy::testsupport::OpenApiValidator validator(served.document());
        const std::string first = validator.mismatch(
            Exchange{"GET", "/api/v1/nodes", "", 200, "application/json", nodes_.dump()});
        const std::string again = validator.mismatch(
            Exchange{"GET", "/api/v1/nodes", "", 200, "application/json", nodes_.dump()});
        qputenv("PATH", path);
        QVERIFY2(
            says(first, "cannot be validated") && says(first, "apt-get install python3-jsonschema"),
            first.c_str());
        QVERIFY2(says(again, "apt-get install python3-jsonschema"), again.c_str());
    }

    void theDocumentsPathTemplatesAreMatchedSegmentBySegment() {
        const std::string mismatch =
            document().mismatch(Exchange{"GET", "/api/v1/nodes/crm-passive/readiness?x=1", "", 200,
                                         "application/json", R"({"ready": "yes"})"});
        QVERIFY2(says(mismatch, "/paths/~1api~1v1~1nodes~1{name}~1readiness/get") &&
                     says(mismatch, "$.ready:"),
                 mismatch.c_str());
    }
};

QTEST_GUILESS_MAIN(OpenApiValidatorTest)
#include "test_openapi_validator.moc"
