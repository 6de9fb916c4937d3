/*
** handle.c
** Boxes for libuv handles, shared by every handle type. A box is a small
** userdata pointing at malloc'd memory that holds the uv handle. The memory
** is freed only in the close callback, so a box collected by Lua can still
** close its handle safely. While the loop needs a handle (it is active, or
** closing with a callback to call) the box is anchored in the registry.
*/

#include <stdlib.h>

#include "ludp.h"


void ludp_ref_set (lua_State *L, int *ref, int idx) {
  idx = lua_absindex(L, idx);
  ludp_ref_clear(L, ref);
  if (!lua_isnoneornil(L, idx)) {
    lua_pushvalue(L, idx);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
}

void ludp_ref_clear (lua_State *L, int *ref) {
  if (*ref != LUA_NOREF && *ref != LUA_REFNIL)
    luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  *ref = LUA_NOREF;
}


ludp_handle *ludp_handle_new (lua_State *L, const char *tname, size_t size,
                              int nuv) {
  ludp_handle **box;
  ludp_handle *lh;
  ludp_gc_point(L);
  box = lua_newuserdatauv(L, sizeof(*box), nuv);
  *box = NULL; /* closed state until all is ready */
  luaL_setmetatable(L, tname);
  lh = calloc(1, LUDP_HANDLE_OFFSET + size);
  if (lh == NULL) luaL_error(L, "not enough memory");
  lh->h = (uv_handle_t *)((char *)lh + LUDP_HANDLE_OFFSET);
  lh->h->data = lh;
  lh->L = ludp_state();
  lh->self_ref = lh->close_ref = lh->cb_ref = LUA_NOREF;
  lh->box = box;
  *box = lh;
  return lh;
}

/* The box at 'arg' if its metatable is the one at index 'mt', else NULL. */
static ludp_handle **test_box (lua_State *L, int arg, int mt) {
  ludp_handle **box = lua_touserdata(L, arg);
  int same;
  if (box == NULL || !lua_getmetatable(L, arg)) return NULL;
  same = lua_topointer(L, -1) == lua_topointer(L, mt); /* both tables */
  lua_pop(L, 1);
  return same ? box : NULL;
}

/* Every method of a handle type holds the type's metatable as upvalue 1
** (see ludp_handle_type): checking a box is no registry lookup, which
** matters on every call of the hot path. */
static ludp_handle **check_box (lua_State *L, int arg) {
  ludp_handle **box = test_box(L, arg, lua_upvalueindex(1));
  if (box == NULL) {
    const char *tname = "ludp handle";
    if (lua_getfield(L, lua_upvalueindex(1), "__name") == LUA_TSTRING)
      tname = lua_tostring(L, -1); /* the metatable keeps it */
    luaL_typeerror(L, arg, tname);
  }
  return box;
}

ludp_handle *ludp_handle_check (lua_State *L, int arg) {
  ludp_handle **box;
  ludp_gc_point(L); /* the box is on the stack: it stays */
  box = check_box(L, arg);
  if (*box == NULL || (*box)->closing)
    luaL_error(L, "attempt to use a closed handle");
  return *box;
}

int ludp_handle_set_onmessage (lua_State *L, int uv) {
  ludp_handle_check(L, 1);
  if (!lua_isnoneornil(L, 2) && lua_type(L, 2) != LUA_TFUNCTION) {
    luaL_argexpected(L, luaL_getmetafield(L, 2, "__call") != LUA_TNIL, 2,
                     "function or callable");
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  lua_setiuservalue(L, 1, uv);
  lua_pushinteger(L, 0);
  return 1;
}

/* The open handle in 'box', else NULL. */
static ludp_handle *open_in (ludp_handle **box) {
  return box != NULL && *box != NULL && !(*box)->closing ? *box : NULL;
}

ludp_handle *ludp_handle_test (lua_State *L, int arg, int mt) {
  ludp_gc_point(L); /* the box is on the stack: it stays */
  return open_in(test_box(L, arg, mt));
}

ludp_handle *ludp_handle_known (lua_State *L, int arg) {
  return open_in(lua_touserdata(L, arg));
}

void ludp_handle_anchor (lua_State *L, ludp_handle *lh, int idx) {
  if (lh->self_ref == LUA_NOREF) ludp_ref_set(L, &lh->self_ref, idx);
}

void ludp_handle_unanchor (lua_State *L, ludp_handle *lh) {
  ludp_ref_clear(L, &lh->self_ref);
}


/* Releases what Lua holds for the handle; no Lua call. */
static void release (ludp_handle *lh) {
  lua_State *L = lh->L;
  ludp_ref_clear(L, &lh->cb_ref);
  ludp_ref_clear(L, &lh->close_ref);
  ludp_handle_unanchor(L, lh);
}

static void on_close (uv_handle_t *h) {
  ludp_handle *lh = h->data;
  if (!lh->collected) {
    lua_State *L = lh->L;
    *lh->box = NULL;
    if (lh->on_free) lh->on_free(lh);
    if (lh->close_ref != LUA_NOREF) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, lh->close_ref);
      ludp_ref_clear(L, &lh->close_ref);
      release(lh); /* before the call: it may throw */
      ludp_call(L, 0);
    }
    else
      release(lh);
  }
  free(lh);
}

void ludp_handle_close (ludp_handle *lh) {
  if (lh->closing) return;
  if (lh->on_close) lh->on_close(lh);
  lh->closing = 1;
  uv_close(lh->h, on_close);
}

/* h:close([fn]) -> status: closes once (UV_EALREADY after that); fn
** runs in the close callback. */
static int handle_close (lua_State *L) {
  ludp_handle **box = check_box(L, 1);
  ludp_handle *lh;
  ludp_gc_point(L);
  lh = *box;
  if (lh == NULL || lh->closing) {
    lua_pushinteger(L, UV_EALREADY);
    return 1;
  }
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  ludp_ref_set(L, &lh->close_ref, 2);
  ludp_handle_anchor(L, lh, 1); /* alive until on_close */
  ludp_handle_close(lh);
  lua_pushinteger(L, 0);
  return 1;
}

/* __gc: a box nobody reaches any more closes its handle, silently. */
static int handle_gc (lua_State *L) {
  ludp_handle **box = test_box(L, 1, lua_upvalueindex(1)); /* called by */
  ludp_handle *lh = box != NULL ? *box : NULL;             /* hand too */
  if (lh == NULL) return 0;
  *box = NULL;
  lh->collected = 1; /* before on_close: no Lua from here */
  if (!lh->closing && lh->on_close) lh->on_close(lh);
  if (lh->on_free) lh->on_free(lh);
  lh->on_free = NULL;
  release(lh);
  if (!lh->closing) {
    lh->closing = 1;
    uv_close(lh->h, on_close);
  }
  return 0;
}

static ludp_handle *upcheck (lua_State *L) {
  return ludp_handle_check(L, 1);
}

static int handle_ref (lua_State *L) {
  uv_ref(upcheck(L)->h);
  lua_settop(L, 1);
  return 1;
}

static int handle_unref (lua_State *L) {
  uv_unref(upcheck(L)->h);
  lua_settop(L, 1);
  return 1;
}

static int handle_has_ref (lua_State *L) {
  lua_pushboolean(L, uv_has_ref(upcheck(L)->h));
  return 1;
}

static int handle_is_closing (lua_State *L) {
  ludp_handle **box = check_box(L, 1);
  lua_pushboolean(L, *box == NULL || (*box)->closing);
  return 1;
}

void ludp_handle_type (lua_State *L, const char *tname,
                       const luaL_Reg *methods) {
  static const luaL_Reg shared[] = {{"close", handle_close},
                                    {"ref", handle_ref},
                                    {"unref", handle_unref},
                                    {"has_ref", handle_has_ref},
                                    {"is_closing", handle_is_closing},
                                    {"__gc", handle_gc},
                                    {NULL, NULL}};
  if (luaL_newmetatable(L, tname)) {
    lua_pushvalue(L, -1); /* upvalue 1 of every method: see test_box */
    luaL_setfuncs(L, methods, 1);
    lua_pushvalue(L, -1);
    luaL_setfuncs(L, shared, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}


int ludp_push_uverr (lua_State *L, int status) {
  lua_pushstring(L, uv_err_name(status));
  return 1;
}
