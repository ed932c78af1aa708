/* Imports a symbol the image does not have. */
int no_such_symbol(void);

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return no_such_symbol();
}
