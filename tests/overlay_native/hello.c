/* A native program: prints through the console and echoes its arguments. */
void overlay_puts(const char *s);

static const char greeting[] = "hello from a native program\n";
static int calls;

int main(int argc, char **argv)
{
	calls++;
	overlay_puts(greeting);
	for (int i = 0; i < argc; i++) {
		overlay_puts(argv[i]);
		overlay_puts("\n");
	}
	return argc * 100 + calls;
}
