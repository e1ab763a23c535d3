// understudyctl's bash completion (agents/ctl/understudyctl.bash-completion) sourced in a real
// bash and asked for command lines as a user types them, against a real `understudyd --demo`
// for the names: commands and options from understudyctl's grammar, appliances, clusters and
// nodes from the service through this build's understudyctl, and nothing (quickly) when the
// service is not there or refuses the token.
#include <QtTest>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTemporaryDir>

#include "tests/agents/agent_fixture.h"
#include "tests/support/ports.h"

using namespace understudy::tests;

namespace {

// Completes `line` (the cursor at its end) the way bash does on TAB, one candidate per line.
constexpr char kCompleteScript[] = R"bash(
set -u
source "$COMPLETION_FILE"
[ "$(complete -p understudyctl)" = "complete -F _understudyctl understudyctl" ] || exit 90
COMP_LINE=$LINE
COMP_POINT=${#LINE}
_understudyctl
printf '%s\n' "${COMPREPLY[@]}"
)bash";

QStringList sorted(QStringList list) {
    list.sort();
    return list;
}

}  // namespace

class TestUnderstudyctlCompletion : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    AgentService service_{dir_.path()};
    QStringList clusters_;

    // The completions of `line`, which starts with this build's understudyctl.
    QStringList complete(const QString& line) {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
        env.insert(QStringLiteral("HOME"), dir_.path());
        env.insert(QStringLiteral("COMPLETION_FILE"),
                   sourcePath(QStringLiteral("agents/ctl/understudyctl.bash-completion")));
        env.insert(QStringLiteral("LINE"), QStringLiteral(UNDERSTUDYCTL " ") + line);
        const Run run = runProgram(QStringLiteral("bash"),
                                   {QStringLiteral("--noprofile"), QStringLiteral("--norc"),
                                    QStringLiteral("-c"), QString::fromLatin1(kCompleteScript)},
                                   env);
        if (run.exit_code != 0) {
            qWarning().noquote() << "completing" << line << "failed:" << run.describe();
            return {QStringLiteral("<failed>")};
        }
        QStringList words = run.out.split('\n');
        words.removeAll(QString());
        return words;
    }
    // The options that reach the service, as a user would give them.
    QString connection() const {
        return QStringLiteral("--url %1 --token-file %2 ")
            .arg(service_.url(), service_.adminTokenFile());
    }
    QStringList clustersStartingWith(const QString& prefix) const {
        QStringList found;
        for (const QString& name : clusters_) {
            if (name.startsWith(prefix)) {
                found.append(name);
            }
        }
        return found;
    }

private slots:
    void initTestCase() {
        QVERIFY2(service_.start(), service_.output().constData());
        const Run listed = service_.admin({QStringLiteral("--json"), QStringLiteral("clusters")});
        EXPECT_EXIT(listed, 0);
        for (const QJsonValue& cluster : listed.json()[QStringLiteral("clusters")].toArray()) {
            clusters_.append(cluster[QStringLiteral("name")].toString());
        }
        QVERIFY(clusters_.size() >= 5);
        clusters_.sort();
    }
    void cleanupTestCase() { service_.stop(); }

    void commandsAndOptionsFromTheGrammar() {
        QCOMPARE(sorted(complete(QString())),
                 sorted({"status", "check", "appliances", "appliance", "groups", "clusters",
                         "nodes", "readiness", "takeover", "release", "power", "events", "sizing",
                         "what-if", "backup"}));
        QCOMPARE(complete(QStringLiteral("cl")), QStringList{"clusters"});
        QCOMPARE(complete(QStringLiteral("--json re")), (QStringList{"readiness", "release"}));
        QCOMPARE(complete(QStringLiteral("--t")), (QStringList{"--token-file", "--timeout"}));
        QCOMPARE(complete(QStringLiteral("clusters ")),
                 (QStringList{"show", "add", "remove", "set", "rotate-token", "stats"}));
        QCOMPARE(complete(QStringLiteral("appliance ")), (QStringList{"lost", "rejoin"}));
        QCOMPARE(complete(QStringLiteral("events --kind takeover.d")),
                 QStringList{"takeover.denied"});
        QCOMPARE(complete(QStringLiteral("events --f")), QStringList{"--follow"});
        QCOMPARE(complete(QStringLiteral("sizing --format ")),
                 (QStringList{"table", "json", "csv"}));
        // bash has already split "--format=" off (COMP_WORDBREAKS): only the value is completed.
        QCOMPARE(complete(QStringLiteral("sizing --format=c")), QStringList{"csv"});
        QCOMPARE(complete(QStringLiteral("clusters set erp fail")), QStringList{"failure_model="});
        QCOMPARE(complete(QStringLiteral("clusters set erp memory_mode=r")),
                 QStringList{"reserved"});
        QCOMPARE(complete(QStringLiteral("what-if ")),
                 (QStringList{"--fail", "--add", "--remove"}));
        QCOMPARE(complete(QStringLiteral("nodes --js")), QStringList{"--json"});
    }

    void namesComeFromTheService() {
        QCOMPARE(complete(connection() + QStringLiteral("clusters show ")), clusters_);
        QCOMPARE(complete(connection() + QStringLiteral("clusters stats e")),
                 clustersStartingWith(QStringLiteral("e")));
        QCOMPARE(complete(connection() + QStringLiteral("appliance lost ")), QStringList{"demo"});
        QCOMPARE(complete(connection() + QStringLiteral("appliances d")), QStringList{"demo"});
        QCOMPARE(complete(connection() + QStringLiteral("takeover erp")),
                 QStringList{"erp-passive"});
        QCOMPARE(complete(connection() + QStringLiteral("power erp-passive ")),
                 (QStringList{"on", "off", "reboot", "status"}));
        QCOMPARE(complete(connection() + QStringLiteral("events --cluster cr")),
                 clustersStartingWith(QStringLiteral("cr")));
        QCOMPARE(complete(connection() + QStringLiteral("what-if --fail erp ")), clusters_);
        // Options as --name=value, and after the command, reach the service too.
        QCOMPARE(complete(QStringLiteral("readiness --url=%1 --token-file=%2 erp")
                              .arg(service_.url(), service_.adminTokenFile())),
                 QStringList{"erp-passive"});
    }

    void nothingWhenTheServiceCannotAnswer() {
        QElapsedTimer timer;
        timer.start();
        const QString nobody = QStringLiteral("http://127.0.0.1:%1").arg(freePort());
        QCOMPARE(complete(QStringLiteral("--url %1 --token-file %2 clusters show ")
                              .arg(nobody, service_.adminTokenFile())),
                 QStringList());
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
        writeFile(dir_.filePath(QStringLiteral("wrong.token")), "not-a-token-it-knows\n");
        QCOMPARE(complete(QStringLiteral("--url %1 --token-file %2 nodes ")
                              .arg(service_.url(), dir_.filePath(QStringLiteral("wrong.token")))),
                 QStringList());
    }
};

QTEST_MAIN(TestUnderstudyctlCompletion)
#include "test_understudyctl_completion.moc"
