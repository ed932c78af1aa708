/* A native program that names a symbol the image does not have: the
 * overlay must refuse to load it, naming the symbol. */
extern long kv_no_such_symbol;

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return (int)kv_no_such_symbol;
}
