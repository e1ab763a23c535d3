// understudy-console [--url URL] [FLEET_FILE] (understudy-console(1)).
#include <QApplication>
#include <QCommandLineParser>
#include <QStyleFactory>

#include "gui/app/main_window.h"

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Understudy"));
    QApplication::setApplicationName(QStringLiteral("understudy-console"));
    QApplication::setApplicationVersion(QStringLiteral(UNDERSTUDY_VERSION));
    // Fusion draws the same on every desktop and takes the dark palette fully.
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

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
    parser.process(application);
    if (parser.positionalArguments().size() > 1) {
        parser.showHelp(2);
    }

    understudy::gui::MainWindow window;
    window.show();
    if (parser.isSet(url)) {
        window.setServiceUrl(parser.value(url));
    }
    if (!parser.positionalArguments().isEmpty()) {
        (void)window.openFleet(parser.positionalArguments().front());
    } else if (!parser.isSet(url)) {
        window.reopenLastFile();
    }
    return QApplication::exec();
}
