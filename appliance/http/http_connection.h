// One client connection of HttpServer: reads requests within the server's limits, hands
// complete ones to the server and writes the answers. Internal to the http library.
#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <functional>
#include <vector>

#include "appliance/http/http_request.h"
#include "appliance/http/http_response.h"
#include "appliance/http/responder.h"

class QTcpSocket;

namespace understudy::http {

class HttpServer;

class HttpConnection : public QObject {
    Q_OBJECT

public:
    // Takes ownership of the connected socket.
    HttpConnection(QTcpSocket* socket, HttpServer* server);
    ~HttpConnection() override;

    // Answers request number `serial` if it is still waiting; otherwise does nothing.
    void respond(quint64 serial, const HttpResponse& response);
    bool isWaiting(quint64 serial) const;
    void addGoneCallback(quint64 serial, std::function<void()> callback);
    // Closes at once, without an answer.
    void abort();
    // The server is shutting down: closes the connection now if it is idle between requests,
    // otherwise after answering the request in flight.
    void drain();

private:
    // Streaming: writing a streamed body (HttpResponse::stream) as the socket drains.
    enum class State {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        Waiting,
        Streaming,
        Closing
    };

    void onReadyRead();
    void processBuffer();
    // Each step consumes what it can from buffer_ and returns false when it needs more bytes
    // or has stopped reading (error answered, request dispatched).
    bool readHead();
    bool readBody();
    bool readChunkSize();
    bool readChunkData();
    bool readChunkEnd();
    bool readTrailers();
    bool readRequestLine(const QByteArray& line);
    bool startRequest(const QByteArray& head);
    bool readFraming();
    void dispatch();
    void refuse(const HttpResponse& response);
    void write(const HttpResponse& response, bool close, bool linger = false);
    void onBytesWritten();
    // Writes the next chunks of the streamed body while little is waiting in the socket; at its
    // end, closes or waits for the next request.
    void pumpStream();
    void waitForRequest();
    void onTimeout();
    void teardown();
    // Bytes of the client's that nobody has read yet, in Qt's buffer or the kernel's.
    bool hasUnreadInput() const;
    double secondsSinceStart() const;

    friend class HttpServer;

    // What the log and the metrics need of the request being answered.
    struct Pending {
        QByteArray method;
        QString path;
        QString route;
    };

    QTcpSocket* socket_;
    HttpServer* server_;
    QHostAddress peer_;
    Pending pending_;
    bool http10_ = false;
    QByteArray buffer_;
    qsizetype scanned_ = 0;  // bytes of buffer_ already searched for the end of the head
    State state_ = State::Head;
    HttpRequest request_;
    qint64 remaining_ = 0;  // body or chunk bytes still to read
    bool keep_alive_ = true;
    bool processing_ = false;
    bool torn_down_ = false;
    bool lingering_ = false;  // a refusal is out or going out; input is dropped
    bool half_closed_ = false;
    qint64 discarded_ = 0;
    quint64 serial_ = 0;
    std::vector<std::function<void()>> gone_callbacks_;
    std::shared_ptr<QIODevice> stream_;
    qint64 stream_left_ = 0;
    bool stream_close_ = false;
    QMetaObject::Connection stream_pump_;
    QTimer timer_;
    QElapsedTimer started_;  // since the current request's first byte
    bool started_valid_ = false;
};

}  // namespace understudy::http

namespace understudy::http {

struct Responder::State {
    QPointer<HttpConnection> connection;
    quint64 serial = 0;
    bool answered = false;

    State(HttpConnection* c, quint64 s) : connection(c), serial(s) {}
    ~State();
    State(const State&) = delete;
    State& operator=(const State&) = delete;
};

}  // namespace understudy::http
