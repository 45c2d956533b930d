// Owns the small host-syscall addon Node lacks: getsockopt(fd, SOL_SOCKET, SO_PEERCRED) for a connected
// unix socket, so the daemon records the kernel's word on who (uid, gid, pid) sent a tuning request; and
// flock(fd, LOCK_EX|LOCK_NB / LOCK_UN), the state-directory lock that serialises tuning between
// processes (the kernel drops it when its holder dies, so a kill -9 never leaves a stale lock).
// Plain Node-API (C).
#include <node_api.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

static napi_value Throw(napi_env env, const char* msg) {
  napi_throw_error(env, nullptr, msg);
  return nullptr;
}

// peerCred(fd: number) -> { uid, gid, pid }
static napi_value PeerCred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) {
    return Throw(env, "peerCred(fd): fd required");
  }
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    return Throw(env, "peerCred(fd): fd must be a non-negative integer");
  }
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    char buf[128];
    snprintf(buf, sizeof(buf), "SO_PEERCRED: %s", strerror(errno));
    return Throw(env, buf);
  }
  napi_value obj, uid, gid, pid;
  napi_create_object(env, &obj);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_create_int32(env, cred.pid, &pid);
  napi_set_named_property(env, obj, "uid", uid);
  napi_set_named_property(env, obj, "gid", gid);
  napi_set_named_property(env, obj, "pid", pid);
  return obj;
}

// flock(fd: number, op: 'try-exclusive' | 'unlock') -> boolean (false: held by another description)
static napi_value Flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    return Throw(env, "flock(fd, op): fd and op required");
  }
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    return Throw(env, "flock(fd, op): fd must be a non-negative integer");
  }
  char op[32];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[1], op, sizeof(op), &n) != napi_ok) {
    return Throw(env, "flock(fd, op): op must be a string");
  }
  int how;
  if (strcmp(op, "try-exclusive") == 0) how = LOCK_EX | LOCK_NB;
  else if (strcmp(op, "unlock") == 0) how = LOCK_UN;
  else return Throw(env, "flock(fd, op): op must be 'try-exclusive' or 'unlock'");
  int r;
  do { r = flock(fd, how); } while (r != 0 && errno == EINTR);
  napi_value out;
  if (r != 0) {
    if (errno == EWOULDBLOCK) {
      napi_get_boolean(env, false, &out);
      return out;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "flock: %s", strerror(errno));
    return Throw(env, buf);
  }
  napi_get_boolean(env, true, &out);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, Flock, nullptr, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, PeerCred, nullptr, &fn);
  napi_set_named_property(env, exports, "peerCred", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
