// The daemon's in-process layers for tests: a state database in a temp
// directory, the engine on a configuration, the token and session services
// and the API application, with a read token and a deploy token ready.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "api/application.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/session_service.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::testing {

struct api_stack {
  explicit api_stack(const std::filesystem::path& config_file) {
    auto loaded = daemon::load_config(config_file);
    if (!loaded.value) throw std::runtime_error("invalid test config " + config_file.string());
    std::string error;
    db = storage::database::open(dir / "state.db", {}, error);
    if (!db) throw std::runtime_error(error);
    runner = std::make_unique<ssh::runner>(io, ssh::options{}, 4);
    core = std::make_unique<engine::engine>(io, loaded.value, *db, *runner);
    tokens = std::make_unique<daemon::token_service>(*db);
    sessions = std::make_unique<daemon::session_service>(*db, *tokens);
    app = std::make_unique<api::application>(*core, *tokens, *sessions);
    reader = token("reader", daemon::scope::read);
    deployer = token("deployer", daemon::scope::deploy);
  }

  std::string token(const std::string& name, daemon::scope s) {
    auto secret = tokens->create(name, s, "root");
    if (!secret) throw std::runtime_error(secret.error().message);
    return *secret;
  }

  // Runs the application's handler to completion on `io` (no sockets).
  api::response call(const api::request& req) {
    std::optional<api::response> out;
    boost::asio::co_spawn(io, app->handle(req), [&](std::exception_ptr e, api::response r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io.restart();
    while (!out && io.run_one() > 0) {
    }
    if (!out) throw std::runtime_error("the handler did not finish");
    return std::move(*out);
  }

  temp_dir dir;
  boost::asio::io_context io;
  std::unique_ptr<ssh::runner> runner;
  std::unique_ptr<storage::database> db;
  std::unique_ptr<engine::engine> core;
  std::unique_ptr<daemon::token_service> tokens;
  std::unique_ptr<daemon::session_service> sessions;
  std::unique_ptr<api::application> app;
  std::string reader, deployer;
};

}  // namespace bluegreen::testing
