// Assertions on Result<T>: a failed result fails the test with its error's code, location and
// message, the same way in every test.
#pragma once

#include <QByteArray>
#include <QTest>

#include "base/result.h"

namespace understudy::testsupport {

// "code: where: message", for a failure message.
inline QByteArray describe(const Error& error) {
    return QByteArray::fromStdString(error.code + ": " + error.describe());
}

// The error of a failed result as above; empty when it holds a value.
template <typename T>
QByteArray failure(const Result<T>& result) {
    return result.ok() ? QByteArray() : describe(result.error());
}

}  // namespace understudy::testsupport

// Evaluates `result` once and fails the test, naming its error, unless it holds a value.
#define QVERIFY_OK(result)                                                                 \
    do {                                                                                   \
        const auto& checked_ = (result);                                                   \
        QVERIFY2(checked_.ok(), ::understudy::testsupport::failure(checked_).constData()); \
    } while (false)
