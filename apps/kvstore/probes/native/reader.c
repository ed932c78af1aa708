/* A native program: reads the store's request counter by symbol and
 * prints it on the console; returns the configuration generation. */
extern volatile unsigned long kv_requests, kv_config_gen;
void overlay_puts(const char *s);

int main(int argc, char **argv)
{
	char text[48] = "kv_requests = ", digits[24];
	unsigned long v = kv_requests;
	int n = 0, at = 14;
	(void)argc, (void)argv;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 20);
	while (n)
		text[at++] = digits[--n];
	text[at] = '\0';
	overlay_puts(text);
	return (int)kv_config_gen;
}
