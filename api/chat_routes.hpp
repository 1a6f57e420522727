// The slash command routes of chat: POST /hooks/slack (verified by Slack's
// request signature, api/slack_signature) and POST /hooks/mattermost
// (verified by the command's token, api/mattermost_token). The verifier
// runs before the body is read as a form; the handlers turn the form into a
// chat::slash_request and the chat service's reply into JSON. A route
// whose secret is not configured answers 404 saying what to configure; one
// whose secret could not be read, 503.
//
// Thread-safety: register on one thread; handlers and verifiers run on the
// io thread that owns the engine and the database.
#pragma once

namespace bluegreen::engine {
class engine;
}
namespace bluegreen::daemon {
class hook_secrets;
}
namespace bluegreen::storage {
class database;
}
namespace bluegreen::chat {
class chat_service;
}

namespace bluegreen::api {

class application;

void add_chat_routes(application& app, chat::chat_service& chat, engine::engine& engine,
                     const daemon::hook_secrets& secrets, storage::database& db);

}  // namespace bluegreen::api
