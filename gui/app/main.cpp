// understudy-console [--url URL] [FLEET_FILE] (understudy-console(1)).
#include <QApplication>
#include <QCommandLineParser>
#include <QStyleFactory>

#include "gui/app/main_window.h"

namespace {

struct Arguments {
    QString url;  // empty when --url was not given
    QString fleetFile;
};

void describeProgram() {
    QCoreApplication::setOrganizationName(QStringLiteral("Understudy"));
    QCoreApplication::setApplicationName(QStringLiteral("understudy-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(UNDERSTUDY_VERSION));
}

// Read under a QCoreApplication, before the QApplication exists: --help, --version and a
// usage error answer on a terminal without any display.
Arguments parseArguments(int argc, char** argv) {
    QCoreApplication core(argc, argv);
    describeProgram();
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("The Understudy administrator's console. With FLEET_FILE it sizes that "
                       "fleet offline, without any service."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption url(QStringLiteral("url"),
                                 QStringLiteral("The understudyd service to connect to (the "
                                                "admin token from UNDERSTUDY_TOKEN, else the "
                                                "remembered one, else asked for)."),
                                 QStringLiteral("URL"));
    parser.addOption(url);
    parser.addPositionalArgument(QStringLiteral("FLEET_FILE"),
                                 QStringLiteral("A fleet file (.json or .csv) to open offline."),
                                 QStringLiteral("[FLEET_FILE]"));
    parser.process(core);
    if (parser.positionalArguments().size() > 1) {
        parser.showHelp(2);
    }
    return {parser.value(url), parser.positionalArguments().value(0)};
}

}  // namespace

int main(int argc, char** argv) {
    const Arguments arguments = parseArguments(argc, argv);
    QApplication application(argc, argv);
    describeProgram();
    // Fusion draws the same on every desktop and takes the dark palette fully.
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

    understudy::gui::MainWindow window;
    window.show();
    if (!arguments.url.isEmpty()) {
        window.setServiceUrl(arguments.url);
    }
    if (!arguments.fleetFile.isEmpty()) {
        (void)window.openFleet(arguments.fleetFile);
    } else if (arguments.url.isEmpty()) {
        window.reopenLastFile();
    }
    return QApplication::exec();
}
