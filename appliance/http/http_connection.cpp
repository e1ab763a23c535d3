#include "appliance/http/http_connection.h"

#include <QSslSocket>
#include <QTcpSocket>
#include <QUrlQuery>
#include <algorithm>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include "appliance/http/api_log.h"
#include "appliance/http/http_server.h"

namespace understudy::http {

namespace {

// Bounds what Qt buffers per socket, so a client pushing data we are not reading (a refused
// body, data during a long-poll) stalls in TCP flow control instead of filling memory.
constexpr qint64 kSocketReadBuffer = qint64{64} * 1024;
// A chunk-size line is a hex number and optional extensions; nothing legitimate is longer.
constexpr qsizetype kMaxChunkLine = 1024;
// How much of a refused request is dropped before the connection is reset, in bodies.
constexpr qint64 kMaxDiscardFactor = 4;
// A streamed body is read in chunks of this size, and the next one is written only once less
// than this much waits in the socket: the service holds at most about two chunks per download.
constexpr qint64 kStreamChunk = qint64{64} * 1024;

bool isTokenChar(char c) {
    // RFC 9110 5.6.2 tchar
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView text) {
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isTokenChar);
}

QByteArray stripCr(QByteArray line) {
    if (line.endsWith('\r')) {
        line.chop(1);
    }
    return line;
}

bool safeHeaderText(const QByteArray& text) {
    return !text.contains('\r') && !text.contains('\n');
}

// RFC 9110 5.5 lets a recipient either refuse a field value holding CR, LF or NUL, or replace
// each with SP; the reader refuses (400), and every other control character but HTAB with them,
// because a value that another parser on the path reads differently is how requests are
// smuggled (docs/http-api.md, "Limits").
bool hasControl(QByteArrayView text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t') || byte == 0x7f;
    });
}

// `name: value` with a token for a name and no space before the colon (RFC 9112 5.1), no line
// folding (5.2), no control characters in the value; -1 when it is not, else the colon's index.
qsizetype fieldColon(QByteArrayView line) {
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon)) || hasControl(line.sliced(colon + 1))) {
        return -1;
    }
    return colon;
}

// The digits of a length or chunk size without its leading zeros, which RFC 9112's grammar
// allows and which must not make a small number look large.
QByteArrayView significant(QByteArrayView digits) {
    while (digits.size() > 1 && digits.front() == '0') {
        digits = digits.sliced(1);
    }
    return digits;
}

}  // namespace

HttpConnection::HttpConnection(QTcpSocket* socket, HttpServer* server)
    : QObject(server), socket_(socket), server_(server), peer_(socket->peerAddress()) {
    socket_->setParent(this);
    socket_->setReadBufferSize(kSocketReadBuffer);
    timer_.setSingleShot(true);
    timer_.setInterval(server_->options().read_timeout);
    connect(&timer_, &QTimer::timeout, this, &HttpConnection::onTimeout);
    connect(socket_, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(socket_, &QTcpSocket::disconnected, this, &HttpConnection::teardown);
    waitForRequest();
    // A TLS socket arrives after its handshake, possibly with the request already buffered.
    if (socket_->bytesAvailable() > 0) {
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
    }
}

HttpConnection::~HttpConnection() {
    // The server may be half destroyed by now (it deletes us as its child): touch nothing of it.
    QObject::disconnect(socket_, nullptr, this, nullptr);
}

bool HttpConnection::isWaiting(quint64 serial) const {
    return !torn_down_ && state_ == State::Waiting && serial == serial_;
}

void HttpConnection::addGoneCallback(quint64 serial, std::function<void()> callback) {
    if (isWaiting(serial)) {
        gone_callbacks_.push_back(std::move(callback));
    }
}

void HttpConnection::abort() {
    socket_->abort();
    teardown();
}

bool HttpConnection::hasUnreadInput() const {
    if (socket_->bytesAvailable() > 0) {
        return true;
    }
    // What the kernel holds but Qt has not read yet is a request that has arrived too.
    int pending = 0;
    const qintptr descriptor = socket_->socketDescriptor();
    return descriptor >= 0 && ::ioctl(static_cast<int>(descriptor), FIONREAD, &pending) == 0 &&
           pending > 0;
}

void HttpConnection::drain() {
    if (torn_down_ || state_ == State::Closing) {
        return;
    }
    keep_alive_ = false;
    if (state_ == State::Head && buffer_.isEmpty() && !started_valid_ && !processing_ &&
        !hasUnreadInput()) {
        // Idle between requests: nothing to finish. A FIN, not a reset, so a client that sends
        // its next request at this very moment sees the connection closed, not an error.
        state_ = State::Closing;
        timer_.start();
        socket_->disconnectFromHost();
    }
}

void HttpConnection::teardown() {
    if (torn_down_) {
        return;
    }
    torn_down_ = true;
    state_ = State::Closing;
    timer_.stop();
    server_->connectionClosed();
    const auto callbacks = std::move(gone_callbacks_);
    gone_callbacks_.clear();
    for (const auto& callback : callbacks) {
        callback();
    }
    deleteLater();
}

void HttpConnection::waitForRequest() {
    state_ = State::Head;
    request_ = HttpRequest();
    request_.peer = peer_;
    http10_ = false;
    keep_alive_ = true;
    scanned_ = 0;
    remaining_ = 0;
    started_valid_ = false;
    timer_.start();
    if (!buffer_.isEmpty() && !processing_) {
        QMetaObject::invokeMethod(this, &HttpConnection::processBuffer, Qt::QueuedConnection);
    }
}

double HttpConnection::secondsSinceStart() const {
    return started_valid_ ? static_cast<double>(started_.nsecsElapsed()) / 1e9 : 0.0;
}

void HttpConnection::onTimeout() {
    if (torn_down_) {
        return;
    }
    if (state_ != State::Closing && (started_valid_ || !buffer_.isEmpty())) {
        qCInfo(lcApi).noquote() << "closing the connection from" << peer_.toString()
                                << ": its request did not arrive within"
                                << server_->options().read_timeout.count() << "ms";
    }
    abort();
}

void HttpConnection::onReadyRead() {
    if (lingering_ && !torn_down_) {
        // Dropped unparsed, and only up to kMaxDiscardFactor bodies: clients that report an
        // answer only after their upload (QNetworkAccessManager does) then still see the 413
        // for bodies a few times the limit; beyond that the connection is reset.
        discarded_ += socket_->skip(socket_->bytesAvailable());
        if (discarded_ > kMaxDiscardFactor * std::max<qint64>(server_->options().max_body_bytes,
                                                              kSocketReadBuffer)) {
            abort();
        }
        return;
    }
    if (torn_down_ || state_ == State::Closing) {
        return;
    }
    buffer_.append(socket_->readAll());
    if (state_ == State::Waiting || state_ == State::Streaming) {
        const auto& options = server_->options();
        if (buffer_.size() > options.max_request_line_bytes + options.max_header_bytes) {
            qCInfo(lcApi).noquote() << "closing the connection from" << peer_.toString()
                                    << ": it sent more than one request head while waiting";
            abort();
        }
        return;
    }
    processBuffer();
}

void HttpConnection::processBuffer() {
    if (processing_ || torn_down_) {
        return;
    }
    processing_ = true;
    bool progress = true;
    while (progress && !torn_down_) {
        switch (state_) {
            case State::Head:
                progress = readHead();
                break;
            case State::Body:
                progress = readBody();
                break;
            case State::ChunkSize:
                progress = readChunkSize();
                break;
            case State::ChunkData:
                progress = readChunkData();
                break;
            case State::ChunkEnd:
                progress = readChunkEnd();
                break;
            case State::Trailers:
                progress = readTrailers();
                break;
            case State::Waiting:
            case State::Streaming:
            case State::Closing:
                progress = false;
                break;
        }
    }
    processing_ = false;
}

bool HttpConnection::readHead() {
    // RFC 9112 2.2: a server should ignore empty lines received before the request line. Only
    // whole lines: a bare CR stays, to be refused with the line it starts.
    while (buffer_.startsWith("\r\n") || buffer_.startsWith('\n')) {
        buffer_.remove(0, buffer_.startsWith('\n') ? 1 : 2);
        scanned_ = 0;
    }
    if (buffer_.isEmpty() || buffer_ == "\r") {
        return false;
    }
    if (!started_valid_) {
        started_.start();
        started_valid_ = true;
    }
    const auto& options = server_->options();
    const qsizetype line_end = buffer_.indexOf('\n');
    const qsizetype line_length =
        line_end < 0 ? buffer_.size() - (buffer_.endsWith('\r') ? 1 : 0)
                     : line_end - (line_end > 0 && buffer_.at(line_end - 1) == '\r' ? 1 : 0);
    if (line_length > options.max_request_line_bytes) {
        refuse(errors::uriTooLong(options.max_request_line_bytes));
        return false;
    }
    if (line_end < 0) {
        return false;
    }
    // The request line is judged as soon as it is complete: an HTTP/0.9 request or an HTTP/2
    // preface is refused at once instead of waiting for a header section it will never send.
    if (request_.method.isEmpty() && !readRequestLine(stripCr(buffer_.left(line_end)))) {
        return false;
    }
    const qsizetype from = std::max<qsizetype>(line_end, scanned_ - 2);
    const qsizetype crlf = buffer_.indexOf("\n\r\n", from);
    const qsizetype lf = buffer_.indexOf("\n\n", from);
    qsizetype head_end = -1;
    if (crlf >= 0 && (lf < 0 || crlf < lf)) {
        head_end = crlf + 3;
    } else if (lf >= 0) {
        head_end = lf + 2;
    }
    const qsizetype header_bytes = (head_end < 0 ? buffer_.size() : head_end) - (line_end + 1);
    // +4 leaves room for the blank line that ends the section.
    if (header_bytes > options.max_header_bytes + 4) {
        refuse(errors::headersTooLarge(options.max_header_bytes));
        return false;
    }
    if (head_end < 0) {
        scanned_ = buffer_.size();
        return false;
    }
    const QByteArray head = buffer_.left(head_end);
    buffer_.remove(0, head_end);
    scanned_ = 0;
    return startRequest(head);
}

bool HttpConnection::readRequestLine(const QByteArray& line) {
    const QList<QByteArray> parts = line.split(' ');
    if (parts.size() == 3 && parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") {
        refuse(errors::badRequest(QStringLiteral("Only HTTP/1.1 and HTTP/1.0 are served.")));
        return false;
    }
    // Origin-form only (RFC 9112 3.2.1): this server is no proxy, and an absolute-form target
    // naming another host would be answered as if it were ours.
    const bool target_ok =
        parts.size() == 3 && parts[1].startsWith('/') &&
        std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (parts.size() != 3 || !isToken(parts[0]) || !target_ok) {
        refuse(errors::badRequest(
            QStringLiteral("The request line must be `METHOD /path HTTP/1.1`, with single spaces "
                           "and a path of printable ASCII (no absolute URI).")));
        return false;
    }
    request_.method = parts[0];
    request_.target = parts[1];
    http10_ = parts[2] == "HTTP/1.0";
    pending_ = Pending{request_.method, QString(), QString()};
    return true;
}

bool HttpConnection::startRequest(const QByteArray& head) {
    const auto& options = server_->options();
    QList<QByteArray> lines = head.split('\n');
    lines.removeFirst();  // the request line, read already
    for (const QByteArray& raw : lines) {
        const QByteArray line = stripCr(raw);
        if (line.isEmpty()) {
            continue;
        }
        const qsizetype colon = fieldColon(line);
        if (colon < 0) {
            refuse(errors::badRequest(QStringLiteral(
                "A header field must be `Name: value` on one line (no folding, no space "
                "before the colon, no control characters).")));
            return false;
        }
        if (request_.headers.size() >= options.max_header_count) {
            refuse(errors::headersTooLarge(options.max_header_bytes));
            return false;
        }
        request_.headers.append({line.left(colon).toLower(), line.mid(colon + 1).trimmed()});
    }
    // RFC 9112 3.2: which host is meant must not be ambiguous.
    if (std::count_if(request_.headers.begin(), request_.headers.end(),
                      [](const auto& field) { return field.first == "host"; }) > 1) {
        refuse(errors::badRequest(QStringLiteral("Send one Host field, not several.")));
        return false;
    }

    const qsizetype question = request_.target.indexOf('?');
    request_.raw_path = question < 0 ? request_.target : request_.target.left(question);
    request_.path = QString::fromUtf8(QByteArray::fromPercentEncoding(request_.raw_path));
    if (question >= 0) {
        const QUrlQuery query(QString::fromUtf8(request_.target.mid(question + 1)));
        request_.query = query.queryItems(QUrl::FullyDecoded);
    }
    pending_.path = request_.path;

    QList<QByteArray> connection_tokens;
    for (const auto& [name, value] : request_.headers) {
        if (name == "connection") {
            for (const QByteArray& token : value.split(',')) {
                connection_tokens.append(token.trimmed().toLower());
            }
        }
    }
    keep_alive_ =
        http10_ ? connection_tokens.contains("keep-alive") : !connection_tokens.contains("close");
    return readFraming();
}

bool HttpConnection::readFraming() {
    const auto& options = server_->options();
    QList<QByteArray> lengths;
    QList<QByteArray> codings;
    for (const auto& [name, value] : request_.headers) {
        if (name == "content-length") {
            for (const QByteArray& length : value.split(',')) {
                lengths.append(length.trimmed());
            }
        } else if (name == "transfer-encoding") {
            for (const QByteArray& coding : value.split(',')) {
                codings.append(coding.trimmed().toLower());
            }
        }
    }
    // RFC 9112 6.3: both framings at once is how requests are smuggled past proxies; refuse.
    if (!codings.isEmpty() && !lengths.isEmpty()) {
        refuse(errors::badRequest(
            QStringLiteral("Send either Content-Length or Transfer-Encoding, not both.")));
        return false;
    }
    // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (!codings.isEmpty() && http10_) {
        refuse(
            errors::badRequest(QStringLiteral("HTTP/1.0 has no Transfer-Encoding; send "
                                              "Content-Length or use HTTP/1.1.")));
        return false;
    }
    bool has_body = false;
    if (!codings.isEmpty()) {
        if (codings != QList<QByteArray>{"chunked"}) {
            refuse(errors::badRequest(
                QStringLiteral("Only `Transfer-Encoding: chunked` is accepted.")));
            return false;
        }
        state_ = State::ChunkSize;
        has_body = true;
    } else if (!lengths.isEmpty()) {
        const QByteArray& first = lengths.first();
        const bool digits = !first.isEmpty() && std::all_of(first.begin(), first.end(), [](char c) {
            return c >= '0' && c <= '9';
        });
        if (!digits || std::any_of(lengths.begin(), lengths.end(),
                                   [&](const QByteArray& other) { return other != first; })) {
            refuse(errors::badRequest(
                QStringLiteral("Content-Length must be one non-negative decimal number.")));
            return false;
        }
        // More than 18 digits could overflow qint64 and is above any limit anyway.
        const QByteArrayView length = significant(first);
        remaining_ = length.size() > 18 ? options.max_body_bytes + 1 : length.toLongLong();
        if (remaining_ > options.max_body_bytes) {
            refuse(errors::payloadTooLarge(options.max_body_bytes));
            return false;
        }
        has_body = remaining_ > 0;
        state_ = has_body ? State::Body : state_;
    }
    if (!has_body) {
        dispatch();
        return true;
    }
    if (!http10_ && request_.header("expect").toLower() == "100-continue") {
        socket_->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    return true;
}

bool HttpConnection::readBody() {
    if (buffer_.isEmpty()) {
        return false;
    }
    const qsizetype take = static_cast<qsizetype>(std::min<qint64>(remaining_, buffer_.size()));
    request_.body.append(QByteArrayView(buffer_).first(take));
    buffer_.remove(0, take);
    remaining_ -= take;
    if (remaining_ == 0) {
        dispatch();
    }
    return true;
}

bool HttpConnection::readChunkSize() {
    const auto& options = server_->options();
    const qsizetype end = buffer_.indexOf('\n');
    if (end < 0) {
        if (buffer_.size() > kMaxChunkLine) {
            refuse(errors::badRequest(QStringLiteral("A chunk-size line is too long.")));
        }
        return false;
    }
    QByteArray line = stripCr(buffer_.left(end));
    buffer_.remove(0, end + 1);
    // Extensions carry nothing the API uses and are dropped, but never with control characters
    // (a bare CR among them included) that another parser could take for a line end.
    if (hasControl(line)) {
        refuse(errors::badRequest(
            QStringLiteral("A chunk-size line must not hold control characters.")));
        return false;
    }
    const qsizetype semicolon = line.indexOf(';');
    if (semicolon >= 0) {
        line.truncate(semicolon);
    }
    line = line.trimmed();
    bool ok = !line.isEmpty() && std::all_of(line.begin(), line.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
    if (!ok) {
        refuse(errors::badRequest(QStringLiteral("A chunk size must be a hexadecimal number.")));
        return false;
    }
    // 15 hex digits cannot overflow qint64; more, up to a size beyond 64 bits, is far above any
    // limit: it is refused as too large, never wrapped around to a small size.
    const QByteArrayView digits = significant(line);
    const qint64 size =
        digits.size() > 15 ? options.max_body_bytes + 1 : digits.toLongLong(&ok, 16);
    if (request_.body.size() + size > options.max_body_bytes) {
        refuse(errors::payloadTooLarge(options.max_body_bytes));
        return false;
    }
    if (size == 0) {
        state_ = State::Trailers;
        remaining_ = 0;
    } else {
        state_ = State::ChunkData;
        remaining_ = size;
    }
    return true;
}

bool HttpConnection::readChunkData() {
    if (buffer_.isEmpty()) {
        return false;
    }
    const qsizetype take = static_cast<qsizetype>(std::min<qint64>(remaining_, buffer_.size()));
    request_.body.append(QByteArrayView(buffer_).first(take));
    buffer_.remove(0, take);
    remaining_ -= take;
    if (remaining_ == 0) {
        state_ = State::ChunkEnd;
    }
    return true;
}

bool HttpConnection::readChunkEnd() {
    if (buffer_.startsWith("\r\n")) {
        buffer_.remove(0, 2);
    } else if (buffer_.startsWith('\n')) {
        buffer_.remove(0, 1);
    } else if (buffer_.isEmpty() || buffer_ == "\r") {
        return false;
    } else {
        refuse(errors::badRequest(QStringLiteral("A chunk's data must end with CRLF.")));
        return false;
    }
    state_ = State::ChunkSize;
    return true;
}

bool HttpConnection::readTrailers() {
    const auto& options = server_->options();
    const qsizetype end = buffer_.indexOf('\n');
    if (end < 0) {
        if (remaining_ + buffer_.size() > options.max_header_bytes) {
            refuse(errors::headersTooLarge(options.max_header_bytes));
        }
        return false;
    }
    const QByteArray line = stripCr(buffer_.left(end));
    buffer_.remove(0, end + 1);
    if (line.isEmpty()) {
        dispatch();  // trailer fields carry nothing the API uses: they are dropped
        return true;
    }
    remaining_ += line.size();
    if (remaining_ > options.max_header_bytes) {
        refuse(errors::headersTooLarge(options.max_header_bytes));
        return false;
    }
    if (fieldColon(line) < 0) {
        refuse(errors::badRequest(QStringLiteral(
            "A trailer field must be `Name: value` on one line, like a header field.")));
        return false;
    }
    return true;
}

void HttpConnection::dispatch() {
    state_ = State::Waiting;
    timer_.stop();
    ++serial_;
    HttpRequest request = std::move(request_);
    request_ = HttpRequest();
    server_->dispatch(this, std::move(request),
                      Responder(std::make_shared<Responder::State>(this, serial_)));
}

void HttpConnection::respond(quint64 serial, const HttpResponse& response) {
    if (!isWaiting(serial)) {
        return;
    }
    gone_callbacks_.clear();
    const double seconds = secondsSinceStart();
    const bool close = !keep_alive_ || server_->isDraining();
    write(response, close);
    server_->finished(pending_.method, pending_.path, pending_.route, peer_, response, seconds);
    if (!close && !torn_down_ && state_ != State::Streaming) {
        waitForRequest();
    }
}

void HttpConnection::refuse(const HttpResponse& response) {
    keep_alive_ = false;
    const double seconds = secondsSinceStart();
    write(response, true, true);
    server_->finished(request_.method, request_.path, QStringLiteral("(refused)"), peer_, response,
                      seconds);
}

void HttpConnection::write(const HttpResponse& response, bool close, bool linger) {
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' +
                     reasonPhrase(response.status) + "\r\n";
    for (const auto& [name, value] : response.headers) {
        if (!isToken(name) || !safeHeaderText(value)) {
            qCWarning(lcApi) << "dropped a response header with a malformed name or a line "
                                "break in its value:"
                             << name;
            continue;
        }
        out += name + ": " + value + "\r\n";
    }
    const bool streamed = response.stream != nullptr;
    if (response.status != 204 && response.status != 304) {
        out += "Content-Length: " +
               QByteArray::number(streamed ? response.stream_size : response.body.size()) + "\r\n";
    }
    if (close) {
        out += "Connection: close\r\n";
    } else if (http10_) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (streamed) {
        socket_->write(out);
        state_ = State::Streaming;
        stream_ = response.stream;
        stream_left_ = response.stream_size;
        stream_close_ = close;
        stream_pump_ =
            connect(socket_, &QTcpSocket::bytesWritten, this, &HttpConnection::pumpStream);
        // From the event loop: the caller finishes its bookkeeping of the answer first.
        QMetaObject::invokeMethod(this, &HttpConnection::pumpStream, Qt::QueuedConnection);
        return;
    }
    out += response.body;
    socket_->write(out);
    if (close) {
        state_ = State::Closing;
        // A client that does not read the answer cannot hold the socket open: the timer
        // aborts what disconnectFromHost could not flush.
        timer_.start();
        if (linger) {
            lingering_ = true;
            connect(socket_, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
            // Qt may already hold input it will not announce again: drop it too.
            QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
        } else {
            socket_->disconnectFromHost();
        }
    }
}

void HttpConnection::pumpStream() {
    if (torn_down_ || state_ != State::Streaming) {
        return;
    }
    // A client that stops reading is dropped after the read timeout, as a slow sender is.
    timer_.start();
    while (stream_left_ > 0 && socket_->bytesToWrite() < kStreamChunk) {
        const QByteArray chunk = stream_->read(std::min(kStreamChunk, stream_left_));
        if (chunk.isEmpty()) {
            qCWarning(lcApi).noquote()
                << "a streamed answer to" << peer_.toString() << "ended" << stream_left_
                << "bytes early:" << stream_->errorString() << "; closing the connection";
            abort();
            return;
        }
        stream_left_ -= chunk.size();
        socket_->write(chunk);
    }
    if (stream_left_ > 0) {
        return;
    }
    disconnect(stream_pump_);
    stream_.reset();
    if (stream_close_ || !keep_alive_ || server_->isDraining()) {
        state_ = State::Closing;
        socket_->disconnectFromHost();
    } else {
        waitForRequest();
    }
}

void HttpConnection::onBytesWritten() {
    if (torn_down_ || half_closed_ || socket_->bytesToWrite() > 0) {
        return;
    }
    half_closed_ = true;
    // The refusal is out while the client may still be sending the request. Closing now would
    // make the kernel reset the connection over the unread input, and a reset makes the
    // client's kernel drop the answer it has not read yet. So: FIN after the answer (plain TCP;
    // TLS has no half-close), drop what still arrives, and close when the client does, when
    // the read timeout ends, or when it sends more than kMaxDiscardFactor bodies.
    if (qobject_cast<QSslSocket*>(socket_) == nullptr) {
        ::shutdown(static_cast<int>(socket_->socketDescriptor()), SHUT_WR);
    }
}

}  // namespace understudy::http
