// Decoding the API's JSON into the values of api_types.h. Unknown fields are ignored (a newer
// service may add some); a missing field or a value of the wrong type is a kBadResponse error
// naming the JSON path ("nodes[2].standby.vcpus") and what was expected there.
#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QString>
#include <vector>

#include "appliance/client/api_error.h"
#include "appliance/client/api_types.h"

namespace understudy::client {

// `path` names the value in errors; "" for a whole answer.
template <typename T>
ApiResult<T> fromJson(const QJsonValue& value, const QString& path = {});

// Lists come wrapped in an object with one array named after the collection (docs/http-api.md,
// "Basics").
template <typename T>
ApiResult<std::vector<T>> listFromJson(const QJsonValue& value, const QString& collection);

// Parses an answer's body, then decodes it.
template <typename T>
ApiResult<T> decodeBody(const QByteArray& body);
template <typename T>
ApiResult<std::vector<T>> decodeListBody(const QByteArray& body, const QString& collection);

ApiResult<QJsonValue> parseBody(const QByteArray& body);

}  // namespace understudy::client
