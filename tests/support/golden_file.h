// Golden files: the exact expected output of a renderer, kept in the source tree and compared
// byte for byte. After an intended change, UNDERSTUDY_UPDATE_GOLDEN=1 rewrites them instead
// (review the diff before committing it).
#pragma once

#include <QByteArray>
#include <QString>
#include <QTest>

namespace understudy::testsupport {

// Compares `actual` with the golden file `relative` (under the source tree), or writes it there
// when UNDERSTUDY_UPDATE_GOLDEN=1. Empty when they match or it was written; otherwise what
// differs, where, and how to regenerate.
QByteArray goldenMismatch(const QString& relative, const QByteArray& actual);

}  // namespace understudy::testsupport

#define QVERIFY_GOLDEN(actual, relative)                                                          \
    do {                                                                                          \
        const QByteArray mismatch_ = ::understudy::testsupport::goldenMismatch(relative, actual); \
        QVERIFY2(mismatch_.isEmpty(), mismatch_.constData());                                     \
    } while (false)
