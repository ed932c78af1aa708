# expect: line 2, column 4: unknown label 'NOT_A_LABEL'
ja NOT_A_LABEL
exit
