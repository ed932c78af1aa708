# The overlay: `graft console` uses libedit for line editing and history.
LDLIBS += -ledit
